import { describe, expect, it } from 'vitest'

import { dueBadge } from '@/utils/due'

describe('the due badge says what the server says', () => {
  it('is red with the working days the server counted when overdue', () => {
    const badge = dueBadge({ overdue: true, dueAt: '2026-01-20T16:00:00Z', workingDaysOverdue: 229 })
    expect(badge.tone).toBe('danger')
    expect(badge.labelKey).toBe('due.overdue')
    expect(badge.days).toBe(229)
  })

  it('does not call a past due instant overdue when the server does not', () => {
    // the browser's clock is never consulted: a paused or extended clock is the server's word
    const badge = dueBadge({ overdue: false, dueAt: '2000-01-01T00:00:00Z' })
    expect(badge.labelKey).toBe('due.running')
    expect(badge.tone).toBe('info')
  })

  it('says there is no deadline when the server gives no due instant', () => {
    expect(dueBadge({ overdue: false, dueAt: null }).labelKey).toBe('due.none')
  })

  it('marks a provisional due (a year without the official calendar) as a warning', () => {
    const badge = dueBadge({ overdue: false, dueAt: '2027-03-01T09:00:00Z', provisional: true })
    expect(badge.tone).toBe('warning')
    expect(badge.provisional).toBe(true)
  })

  it('shows the due instant in China time', () => {
    expect(dueBadge({ overdue: false, dueAt: '2026-03-04T17:30:00Z' }).when).toBe('2026-03-05 01:30')
  })
})
