import { describe, expect, it } from 'vitest'

import { datesOf, linesOf, missingText } from '@/utils/calendar'
import { blankRung, periodText, rungText, whenText } from '@/utils/policy'

describe('the calendar page reads dates as people paste them', () => {
  it('takes one a line, or separated by commas, 、 or spaces, blanks dropped', () => {
    expect(datesOf('2027-01-01\n 2027-01-02 ,2027-01-03、2027-02-06\n\n')).toEqual([
      '2027-01-01',
      '2027-01-02',
      '2027-01-03',
      '2027-02-06',
    ])
    expect(datesOf('  ')).toEqual([])
  })

  it('keeps a bad date as written so the server names it', () => {
    expect(datesOf('2027-02-30')).toEqual(['2027-02-30'])
  })

  it('shows dates back one a line', () => {
    expect(linesOf(['2027-01-01', '2027-01-02'])).toBe('2027-01-01\n2027-01-02')
  })

  it('lists the statutory holidays a load left as working days in either language', () => {
    const missing = [{ day: '2027-04-05', name: '清明节' }, { day: '2027-05-01', name: '劳动节' }]
    expect(missingText('zh-CN', missing)).toBe('以下法定节假日未列为放假日，请核对：2027-04-05（清明节）、2027-05-01（劳动节）')
    expect(missingText('en', missing)).toContain('2027-04-05（清明节）, 2027-05-01（劳动节）')
  })
})

describe('the policies page words a rung', () => {
  it('reads the offset units', () => {
    expect(periodText('zh-CN', '3wd')).toBe('3 个工作日')
    expect(periodText('en', '15d')).toBe('15 calendar days')
    expect(periodText('en', '24H')).toBe('24 hours')
    expect(periodText('en', 'soon')).toBe('soon')
    expect(periodText('en', '1wd')).toBe('1 working day')
  })

  it('puts reminders before due, the other rungs after it, and 0 at due', () => {
    expect(whenText('zh-CN', 'reminder', '3wd')).toBe('到期前 3 个工作日')
    expect(whenText('en', 'escalation', '1wd')).toBe('1 working day after due')
    expect(whenText('en', 'overdue', '0wd')).toBe('at due')
  })

  it('joins when, the label (or the kind) and the addressee', () => {
    const rung = { name: 'supervision', kind: 'escalation', offset: '1wd', addressee: '责任单位', label: '督办' }
    expect(rungText('zh-CN', rung)).toBe('到期后 1 个工作日 · 督办 · 责任单位')
    expect(rungText('en', { ...rung, label: '', addressee: '' })).toBe('1 working day after due · Escalation')
    expect(rungText('en', { ...rung, kind: 'unheard_of', label: '' })).toContain('unheard_of')
  })

  it('names a new rung so that it is unique', () => {
    expect(blankRung(['rung-2', 'x']).name).toBe('rung-3')
    expect(blankRung(['rung-2']).name).toBe('rung-3')
    expect(blankRung([]).kind).toBe('escalation')
  })
})
