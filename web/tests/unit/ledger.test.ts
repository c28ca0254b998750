import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { exportUrl, readPreview } from '@/api/ledger'
import LedgerPreview from '@/components/LedgerPreview.vue'

const SERVED = {
  rows: [
    { row: 2, number: '1', problem: '重复检查', leadAgency: '县卫健局', deadline: '2026年3月底' },
    { row: 3, number: '2', problem: '收受红包', leadAgency: '县监委', deadline: '' },
  ],
  errors: [{ row: 3, field: '责任部门', message: '未知单位：县监委 / unknown agencies: 县监委' }],
}

describe('the ledger preview shows what the server read before anything is written', () => {
  it('reads the rows and the row errors as the server sent them', () => {
    const preview = readPreview(SERVED)
    expect(preview.rows).toHaveLength(2)
    expect(preview.errors).toEqual([{ row: 3, field: '责任部门', message: '未知单位：县监委 / unknown agencies: 县监委' }])
  })

  it('keeps an error the server gave as bare text, without a row', () => {
    expect(readPreview({ errors: ['文件为空 / the file is empty'] }).errors).toEqual([
      { row: null, field: '', message: '文件为空 / the file is empty' },
    ])
    expect(readPreview(null)).toEqual({ rows: [], errors: [] })
  })

  it('lists each row error with its row and field in the API words, and every row read', async () => {
    const wrapper = mount(LedgerPreview, { props: { preview: readPreview(SERVED) } })
    await flushPromises()
    const errors = wrapper.get('[data-testid="preview-errors"]')
    expect(errors.text()).toContain('责任部门')
    expect(errors.text()).toContain('未知单位：县监委 / unknown agencies: 县监委')
    expect(wrapper.get('[data-testid="preview-errors-summary"]').text()).toContain('1')
    expect(wrapper.get('[data-testid="preview-count"]').text()).toContain('2')
    expect(wrapper.find('[data-testid="preview-ok"]').exists()).toBe(false)
  })

  it('says a clean file is ready to import', () => {
    const wrapper = mount(LedgerPreview, { props: { preview: readPreview({ rows: SERVED.rows.slice(0, 1), errors: [] }) } })
    expect(wrapper.find('[data-testid="preview-ok"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="preview-errors"]').exists()).toBe(false)
  })
})

describe('the Excel export link carries the list and its filters', () => {
  it('names the list and only the filters that are set', () => {
    expect(exportUrl('referrals', { status: 'RETURNED', overdue: false, campaign: '' })).toBe('/export/referrals.xlsx?status=RETURNED')
    expect(exportUrl('issues', { overdue: true, campaign: '整治专项' })).toBe(
      '/export/issues.xlsx?overdue=true&campaign=%E6%95%B4%E6%B2%BB%E4%B8%93%E9%A1%B9',
    )
    expect(exportUrl('issues')).toBe('/export/issues.xlsx')
  })
})
