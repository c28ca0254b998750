import { describe, expect, it } from 'vitest'

import { workBadge } from '@/utils/workdays'

describe('a work queue row shows the working days the server counted', () => {
  it('shows the days left when not overdue', () => {
    expect(workBadge({ overdue: false, dueDate: '2026-12-20', workingDaysLeft: 9 })).toEqual({
      tone: 'success',
      labelKey: 'work.daysLeft',
      days: 9,
    })
  })

  it('warns when three working days or fewer are left', () => {
    expect(workBadge({ overdue: false, dueDate: '2026-12-08', workingDaysLeft: 2 }).tone).toBe('warning')
  })

  it('shows the working days overdue from a negative count', () => {
    expect(workBadge({ overdue: true, dueDate: '2026-11-01', workingDaysLeft: -25 })).toEqual({
      tone: 'danger',
      labelKey: 'work.overdueDays',
      days: 25,
    })
  })

  it('says overdue without a figure when the server counts none', () => {
    expect(workBadge({ overdue: true, dueDate: '2020-11-01', workingDaysLeft: null })).toEqual({
      tone: 'danger',
      labelKey: 'work.overdue',
      days: null,
    })
  })

  it('does not call a row overdue that the server does not', () => {
    // the browser's clock is never consulted, however old the date
    expect(workBadge({ overdue: false, dueDate: '2000-01-01', workingDaysLeft: null }).labelKey).toBe('work.dueOn')
  })

  it('says there is no deadline for an undated row', () => {
    expect(workBadge({ overdue: false, dueDate: null, workingDaysLeft: null }).labelKey).toBe('work.undated')
  })
})
