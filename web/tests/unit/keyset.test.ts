import { describe, expect, it } from 'vitest'

import { ApiError } from '@/utils/errors'
import { keysetList, type KeysetPage } from '@/utils/keyset'

function page(nodes: number[], next: string | null, total = 5): KeysetPage<number> {
  return { totalCount: total, pageInfo: { hasNextPage: next !== null, endCursor: next }, edges: nodes.map((node) => ({ node })) }
}

describe('a keyset-paged list', () => {
  it('asks for the next page after the last cursor and appends it', async () => {
    const asked: (string | null)[] = []
    const pages = [page([1, 2], 'c2'), page([3], null)]
    const list = keysetList((after) => {
      asked.push(after)
      return Promise.resolve(pages[asked.length - 1]!)
    })
    await list.load()
    expect(list.rows.value).toEqual([1, 2])
    expect(list.hasMore.value).toBe(true)
    await list.load(true)
    expect(asked).toEqual([null, 'c2'])
    expect(list.rows.value).toEqual([1, 2, 3])
    expect(list.hasMore.value).toBe(false)
    expect(list.total.value).toBe(5)
  })

  it('starts again from the first page on a reload', async () => {
    const asked: (string | null)[] = []
    const list = keysetList((after) => {
      asked.push(after)
      return Promise.resolve(page([7], 'c7'))
    })
    await list.load()
    await list.load()
    expect(asked).toEqual([null, null])
    expect(list.rows.value).toEqual([7])
  })

  it('keeps the API message of a failure', async () => {
    const list = keysetList(() => Promise.reject(new ApiError('仅审计人员可以查看 / only auditors may list reveals')))
    await list.load()
    expect(list.error.value).toBe('仅审计人员可以查看 / only auditors may list reveals')
    expect(list.loading.value).toBe(false)
  })
})
