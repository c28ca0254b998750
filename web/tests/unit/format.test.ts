import { describe, expect, it } from 'vitest'

import { formatDate, formatDateTime } from '@/utils/format'

describe('dates are shown in China time', () => {
  it('shows a UTC instant late in the evening as the next day in Beijing', () => {
    expect(formatDateTime('2026-03-04T17:30:00Z')).toBe('2026-03-05 01:30')
  })

  it('shows a DateTime as its China-time calendar day', () => {
    expect(formatDate('2026-12-31T16:00:00+00:00')).toBe('2027-01-01')
  })

  it('leaves a Date scalar as the calendar day it is', () => {
    expect(formatDate('2026-01-20')).toBe('2026-01-20')
  })

  it('reads China time as UTC+8 the whole year, summer too', () => {
    expect(formatDateTime('2026-07-01T16:30:00Z')).toBe('2026-07-02 00:30')
    expect(formatDateTime('2026-07-01T10:05:00+02:00')).toBe('2026-07-01 16:05')
  })

  it('shows nothing for no value and the raw text for an unreadable one', () => {
    expect(formatDateTime(null)).toBe('')
    expect(formatDateTime('立行立改')).toBe('立行立改')
  })
})
