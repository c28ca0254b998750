import { describe, expect, it } from 'vitest'

import { caseFileUrl } from '@/api/audit'
import { chainSummary, integrityLook, shownValue, stateRows } from '@/utils/audit'

const names = new Map([['a-1', '县卫健局']])

describe('the audit page shows values as people read them', () => {
  it('shows nothing as a dash and agency ids by name', () => {
    expect(shownValue(null)).toBe('—')
    expect(shownValue('')).toBe('—')
    expect(shownValue('a-1', names)).toBe('县卫健局')
    expect(shownValue(['a-1', 'a-2'], names)).toBe('县卫健局、a-2')
    expect(shownValue({ lead: 'a-1' }, names)).toBe('{"lead":"县卫健局"}')
    expect(shownValue(3)).toBe('3')
  })

  it('puts a past state under the labels the trail gives its fields, chain keys apart', () => {
    const rows = stateRows(
      { status: 'OPEN', lead_agency_id: 'a-1', integrity: 'VERIFIED', unverified_versions: [] },
      new Map([['status', '状态'], ['lead_agency_id', '牵头单位']]),
      names,
    )
    expect(rows).toEqual([
      { field: 'status', label: '状态', value: 'OPEN' },
      { field: 'lead_agency_id', label: '牵头单位', value: '县卫健局' },
    ])
  })
})

describe('the hash chain status is shown prominently', () => {
  it('marks an altered or unchained event as danger', () => {
    expect(integrityLook('ALTERED')).toEqual({ tone: 'danger', labelKey: 'audit.altered' })
    expect(integrityLook('UNCHAINED').tone).toBe('danger')
    expect(integrityLook('VERIFIED').tone).toBe('success')
    expect(integrityLook(null).labelKey).toBe('audit.noHashes')
  })

  it('counts the broken events of a trail', () => {
    expect(chainSummary([{ integrity: 'VERIFIED' }, { integrity: 'ALTERED' }, { integrity: 'UNCHAINED' }])).toEqual({
      total: 3,
      broken: 2,
      unhashed: false,
    })
    expect(chainSummary([{ integrity: null }]).unhashed).toBe(true)
  })
})

describe('the case file address', () => {
  it('is the HTML download by default and JSON on request', () => {
    expect(caseFileUrl('abc')).toBe('/case-files/abc')
    expect(caseFileUrl('abc', 'json')).toBe('/case-files/abc?format=json')
  })
})
