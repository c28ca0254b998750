import { afterEach, describe, expect, it, vi } from 'vitest'

import { askFirstPageEarly, openingFilter, takeFirstPageEarly } from '@/api/work'
import { session, signedIn } from '@/store/session'

const PAGE = { workQueue: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } }

function answer(status: number, body: unknown): ReturnType<typeof vi.fn> {
  const fetched = vi.fn(async () => new Response(JSON.stringify(body), { status }))
  vi.stubGlobal('fetch', fetched)
  return fetched
}

describe("我的待办's first page is asked for as the workbench starts", () => {
  afterEach(() => vi.unstubAllGlobals())

  it('asks with a GET read, which needs no CSRF token, and gives the page its answer once', async () => {
    const fetched = answer(200, { data: PAGE })
    askFirstPageEarly()
    const [url, init] = fetched.mock.calls[0] as [string, RequestInit]
    expect(url).toMatch(/^\/graphql\?query=.*WorkQueue.*&variables=/)
    expect(init.method ?? 'GET').toBe('GET')
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toEqual(PAGE)
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
  })

  it('is not used for other filters or another order', async () => {
    answer(200, { data: PAGE })
    askFirstPageEarly()
    expect(await takeFirstPageEarly({ ...openingFilter(), overdue: true }, 'DUE')).toBeNull()
    askFirstPageEarly()
    expect(await takeFirstPageEarly(openingFilter(), 'RECEIVED')).toBeNull()
  })

  it('yields nothing, and leaves the session alone, when not signed in', async () => {
    signedIn({ username: 'l', displayName: '', role: 'LIAISON', agencyId: null, agencyName: null, region: null }, 'token')
    answer(401, { error: 'not_signed_in' })
    askFirstPageEarly()
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
    expect(session.user?.username).toBe('l')
  })

  it('yields nothing when the answer carries errors or the network fails', async () => {
    answer(200, { data: null, errors: [{ message: '无权限' }] })
    askFirstPageEarly()
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))
    askFirstPageEarly()
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
  })
})
