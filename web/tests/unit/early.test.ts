import { afterEach, describe, expect, it, vi } from 'vitest'

import { restoreSession } from '@/api/auth'
import { askEarly, takeEarly } from '@/api/early'
import { openingFilter, takeFirstPageEarly } from '@/api/work'
import { session, signedIn } from '@/store/session'

const PAGE = { workQueue: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } }
const USER = { username: 'l', displayName: '', role: 'LIAISON', agencyId: null, agencyName: null, region: null }

/** fetch answers `/auth/session` as signed in and the queue's GET with `status` and `body` */
function answer(status: number, body: unknown): ReturnType<typeof vi.fn> {
  const fetched = vi.fn(async (url: string) =>
    url === '/auth/session'
      ? new Response(JSON.stringify({ user: USER, csrfToken: 'token' }), { status: 200 })
      : new Response(JSON.stringify(body), { status }),
  )
  vi.stubGlobal('fetch', fetched)
  return fetched
}

describe('the first requests are sent by the early script, before the main one has run', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    takeEarly('session')
    takeEarly('queue')
  })

  it("asks for the session on every page, and for 我的待办's first page on /todo only", () => {
    const fetched = answer(200, { data: PAGE })
    askEarly('/verification')
    expect(fetched.mock.calls.map(([url]) => url)).toEqual(['/auth/session'])
    expect(takeEarly('queue')).toBeNull()
    askEarly('/todo')
    expect(fetched.mock.calls.length).toBe(3)
  })

  it('asks the queue with a GET read, which needs no CSRF token, and gives the page its answer once', async () => {
    const fetched = answer(200, { data: PAGE })
    askEarly('/todo')
    const [url, init] = fetched.mock.calls[1] as [string, RequestInit]
    expect(url).toMatch(/^\/graphql\?query=.*WorkQueue.*&variables=/)
    expect(init.method ?? 'GET').toBe('GET')
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toEqual(PAGE)
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
  })

  it('gives the router its session answer once, then asks again the usual way', async () => {
    const fetched = answer(200, { data: PAGE })
    askEarly('/todo')
    expect((await restoreSession())?.username).toBe('l')
    expect(session.csrfToken).toBe('token')
    expect(fetched.mock.calls.length).toBe(2)
    await restoreSession()
    expect(fetched.mock.calls.length).toBe(3)
  })

  it('is not used for other filters or another order', async () => {
    answer(200, { data: PAGE })
    askEarly('/todo')
    expect(await takeFirstPageEarly({ ...openingFilter(), overdue: true }, 'DUE')).toBeNull()
    askEarly('/todo')
    expect(await takeFirstPageEarly(openingFilter(), 'RECEIVED')).toBeNull()
  })

  it('yields nothing, and leaves the session alone, when not signed in', async () => {
    signedIn(USER, 'token')
    answer(401, { error: 'not_signed_in' })
    askEarly('/todo')
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
    expect(session.user?.username).toBe('l')
  })

  it('yields nothing when the answer carries errors or the network fails', async () => {
    answer(200, { data: null, errors: [{ message: '无权限' }] })
    askEarly('/todo')
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))
    askEarly('/todo')
    expect(await takeFirstPageEarly(openingFilter(), 'DUE')).toBeNull()
    expect(await restoreSession()).toBeNull()
  })
})
