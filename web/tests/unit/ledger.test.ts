import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { exportUrl, readPreview } from '@/api/ledger'
import LedgerPreview from '@/components/LedgerPreview.vue'

const SERVED = {
  valid: false,
  message: '台账有 1 处问题 / 1 problem(s) in the ledger',
  rows: [
    { row: 2, number: '1', problem: '重复检查', measures: ['建立互认清单', '纳入考核'], lead: '县卫健局', co: ['县医疗保障局'], deadline: { kind: 'DATE', dueDate: '2026-03-31', text: '2026年3月底' } },
  ],
  problems: [{ row: 3, column: '责任部门', message: '未知单位：县监委', text: '第 3 行「责任部门」：未知单位：县监委 / row 3, 责任部门: 未知单位：县监委' }],
}

describe('the ledger preview shows what the server read before anything is written', () => {
  it('reads the rows and the row problems as the server sent them', () => {
    const preview = readPreview(SERVED)
    expect(preview.valid).toBe(false)
    expect(preview.rows).toEqual([
      { row: 2, number: '1', problem: '重复检查', measures: ['建立互认清单', '纳入考核'], lead: '县卫健局', co: ['县医疗保障局'], deadline: '2026年3月底' },
    ])
    expect(preview.problems).toEqual([{ row: 3, column: '责任部门', text: SERVED.problems[0]!.text }])
  })

  it('never calls a preview with problems valid, and reads nothing from an empty answer', () => {
    expect(readPreview({ ...SERVED, valid: true }).valid).toBe(false)
    expect(readPreview(null)).toEqual({ valid: false, message: '', rows: [], problems: [] })
  })

  it("lists each row problem with its row and column in the API's words, and every row read", async () => {
    const wrapper = mount(LedgerPreview, { props: { preview: readPreview(SERVED) } })
    await flushPromises()
    const problems = wrapper.get('[data-testid="preview-errors"]')
    expect(problems.text()).toContain('责任部门')
    expect(problems.text()).toContain('row 3, 责任部门: 未知单位：县监委')
    expect(wrapper.get('[data-testid="preview-verdict"]').text()).toContain('台账有 1 处问题 / 1 problem(s) in the ledger')
    expect(wrapper.get('[data-testid="preview-count"]').text()).toContain('1')
    expect(wrapper.get('[data-testid="preview-rows"]').text()).toContain('建立互认清单；纳入考核')
  })

  it('says a clean file may be imported, in the server words', async () => {
    const clean = readPreview({ ...SERVED, valid: true, message: '台账可以导入 / the ledger can be imported', problems: [] })
    const wrapper = mount(LedgerPreview, { props: { preview: clean } })
    await flushPromises()
    expect(wrapper.get('[data-testid="preview-verdict"]').text()).toContain('台账可以导入')
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
