import { describe, expect, it } from 'vitest'

import { evidenceFiles, fileLabel, itemPath, mayConcernInbox, payloadAttachments, unreadBadge, withNames } from '@/utils/items'

const A = 'a'.repeat(64)
const B = 'B'.repeat(64)

describe('where a notice or a list row leads', () => {
  it('maps each item kind to its page', () => {
    expect(itemPath('issue', 'i-1')).toBe('/issues/i-1')
    expect(itemPath('referral', 'r-1')).toBe('/referrals/r-1')
    expect(itemPath('clue', 'c-1')).toBe('/clues/c-1')
    expect(itemPath('case_transfer', 't-1')).toBe('/case-transfers/t-1')
  })

  it('sends a discipline transfer to the case transfer page', () => {
    expect(itemPath('discipline_transfer', 'd-1')).toBe('/case-transfers/d-1')
  })

  it('has no page for a kind without one, or without an id', () => {
    expect(itemPath('report', 'x')).toBeNull()
    expect(itemPath('issue', null)).toBeNull()
    expect(itemPath('', 'x')).toBeNull()
  })

  it('escapes the id in the path', () => {
    expect(itemPath('issue', 'a/b')).toBe('/issues/a%2Fb')
  })
})

describe('the evidence files an item names', () => {
  it('links a sha256 reference to /files/<digest>, lower case', () => {
    expect(evidenceFiles([`sha256:${B}`])).toEqual([
      { reference: `sha256:${B}`, sha256: B.toLowerCase(), href: `/files/${B.toLowerCase()}` },
    ])
  })

  it('lists each file once, in the order first named, across lists', () => {
    const files = evidenceFiles([`sha256:${A}`], null, [`sha256:${B}`, `sha256:${A}`])
    expect(files.map((f) => f.sha256)).toEqual([A, B.toLowerCase()])
  })

  it('shows an older plain-text attachment without a link', () => {
    expect(evidenceFiles(['整改报告.pdf', 42, ' '])).toEqual([{ reference: '整改报告.pdf', sha256: null, href: null }])
  })

  it('names each file the server named, by digest, and no other', () => {
    const files = withNames(evidenceFiles([`sha256:${A}`, `sha256:${B}`, '现场照片.jpg']), [
      { sha256: A, fileName: '整改报告.pdf' },
    ])
    expect(files.map(fileLabel)).toEqual(['整改报告.pdf', `${B.toLowerCase().slice(0, 12)}…`, '现场照片.jpg'])
  })

  it('reads the attachments lists out of audit trail payloads', () => {
    const lists = payloadAttachments([{ attachments: [`sha256:${A}`] }, { summary: 'x' }, null, 'text'])
    expect(lists).toEqual([[`sha256:${A}`]])
  })
})

describe('the bell badge', () => {
  it('is empty without unread notices', () => {
    expect(unreadBadge(0)).toBe('')
    expect(unreadBadge(null)).toBe('')
  })

  it('shows the count, capped at 99+', () => {
    expect(unreadBadge(7)).toBe('7')
    expect(unreadBadge(120)).toBe('99+')
  })
})

describe('which live notices refresh the bell', () => {
  it('refreshes on a notification, or when notices may have been missed', () => {
    expect(mayConcernInbox(['notification', 'issue'])).toBe(true)
    expect(mayConcernInbox([])).toBe(true)
  })

  it('ignores changes of other kinds', () => {
    expect(mayConcernInbox(['issue', 'report'])).toBe(false)
  })
})
