import { describe, expect, it } from 'vitest'

import { pageOf, usePaged } from '@/composables/paged'
import { ApiError } from '@/utils/errors'

const connection = (names: string[], endCursor: string | null, hasNextPage: boolean) => ({
  edges: names.map((name) => ({ node: { name } })),
  pageInfo: { endCursor, hasNextPage },
  totalCount: 3,
})

describe('a keyset-paged list', () => {
  it('asks for the next page from the cursor the API returned, and appends it', async () => {
    const asked: (string | null)[] = []
    const list = usePaged(async (after) => {
      asked.push(after)
      return after === null ? pageOf(connection(['a', 'b'], 'c2', true)) : pageOf(connection(['c'], 'c3', false))
    })
    await list.load()
    expect(list.rows.value.map((r) => r.name)).toEqual(['a', 'b'])
    expect(list.hasMore.value).toBe(true)
    await list.load(true)
    expect(asked).toEqual([null, 'c2'])
    expect(list.rows.value.map((r) => r.name)).toEqual(['a', 'b', 'c'])
    expect(list.total.value).toBe(3)
    expect(list.hasMore.value).toBe(false)
  })

  it('starts again from the first page when reloaded', async () => {
    const list = usePaged(async () => pageOf(connection(['a'], 'c1', true)))
    await list.load()
    await list.load()
    expect(list.rows.value).toHaveLength(1)
  })

  it("shows the API's message when a page cannot be read, and keeps the rows it had", async () => {
    let fail = false
    const list = usePaged(async () => {
      if (fail) throw new ApiError('未登录或登录已过期 / not signed in', 401)
      return pageOf(connection(['a'], null, false))
    })
    await list.load()
    fail = true
    await list.load()
    expect(list.error.value).toBe('未登录或登录已过期 / not signed in')
    expect(list.rows.value).toHaveLength(1)
    expect(list.loading.value).toBe(false)
  })
})
