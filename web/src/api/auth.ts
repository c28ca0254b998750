// Sign-in against the server's session endpoints (/auth/*).
import { locale } from '@/i18n'
import { session, signedIn, signedOut, type SessionUser } from '@/store/session'
import { httpFailure } from '@/utils/errors'

import { SESSION_PATH, takeEarly } from './early'
import { answerOf, CSRF_HEADER, requestJson } from './http'

interface SessionBody {
  user: SessionUser
  csrfToken: string
}

function isSession(body: unknown): body is SessionBody {
  return Boolean(body && typeof body === 'object' && 'user' in body && 'csrfToken' in body)
}

export async function login(username: string, password: string): Promise<SessionUser> {
  const { status, body } = await requestJson('/auth/login', {
    method: 'POST',
    body: JSON.stringify({ username, password }),
  })
  if (status !== 200 || !isSession(body)) throw httpFailure(status, body, locale.value)
  signedIn(body.user, body.csrfToken)
  return body.user
}

/** The session the cookie holds, if any; asked once when the page opens (by src/early.ts,
 * before the workbench's main script has run, when it did). */
export async function restoreSession(): Promise<SessionUser | null> {
  try {
    const early = takeEarly('session')
    const { status, body } = await (early ? answerOf(early.sent) : requestJson(SESSION_PATH))
    if (status === 200 && isSession(body)) {
      signedIn(body.user, body.csrfToken)
      return body.user
    }
  } catch {
    // the network: the login page says so when the person tries
  }
  signedOut()
  return null
}

export async function logout(): Promise<void> {
  try {
    await requestJson('/auth/logout', { method: 'POST', headers: { [CSRF_HEADER]: session.csrfToken } })
  } finally {
    signedOut()
  }
}

export interface SignInOptions {
  password: boolean
  oidc: boolean
  oidcLoginUrl: string | null
}

/** What the login page offers: the provider's sign-in only where the server has one. */
export async function signInOptions(): Promise<SignInOptions> {
  try {
    const { status, body } = await requestJson('/auth/options')
    if (status === 200 && body && typeof body === 'object') {
      const found = body as Partial<SignInOptions>
      const url = typeof found.oidcLoginUrl === 'string' && /^\/(?![/\\])/.test(found.oidcLoginUrl) ? found.oidcLoginUrl : null
      return { password: true, oidc: Boolean(found.oidc && url), oidcLoginUrl: url }
    }
  } catch {
    // offered or not, the password form is there
  }
  return { password: true, oidc: false, oidcLoginUrl: null }
}
