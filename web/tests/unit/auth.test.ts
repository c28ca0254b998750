import { afterEach, describe, expect, it, vi } from 'vitest'

import { signInOptions } from '@/api/auth'

function answer(status: number, body: unknown): void {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(body), { status })))
}

describe('the login page offers the provider only where the server has one', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('offers the provider the server names', async () => {
    answer(200, { password: true, oidc: true, oidcLoginUrl: '/auth/oidc/login' })
    expect(await signInOptions()).toEqual({ password: true, oidc: true, oidcLoginUrl: '/auth/oidc/login' })
  })

  it('offers only the password without a provider', async () => {
    answer(200, { password: true, oidc: false, oidcLoginUrl: null })
    expect((await signInOptions()).oidc).toBe(false)
  })

  it('never sends the browser to another origin', async () => {
    answer(200, { password: true, oidc: true, oidcLoginUrl: 'https://elsewhere.example/login' })
    expect((await signInOptions()).oidc).toBe(false)
    answer(200, { password: true, oidc: true, oidcLoginUrl: '/\\elsewhere.example/login' })
    expect((await signInOptions()).oidc).toBe(false)
    answer(200, { password: true, oidc: true, oidcLoginUrl: '//elsewhere.example/login' })
    expect((await signInOptions()).oidc).toBe(false)
  })

  it('keeps the password form when the options cannot be read', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))
    expect(await signInOptions()).toEqual({ password: true, oidc: false, oidcLoginUrl: null })
  })
})
