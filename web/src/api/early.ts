// The first requests of a page load, sent by src/early.ts, a script of its own that
// index.html runs before the workbench's main script: they travel while that script (Vue,
// Element Plus, the router, 我的待办) is fetched, compiled and run, instead of after it
// (ADR 0084). They are the session, which the router's guard waits for before anything is
// drawn, and, when the page opened is 我的待办, its first page for the opening filters as a
// GET read, which needs no CSRF token (ADR 0058). Each is taken once by the code that would
// otherwise have asked; one that is not taken is never read.
import { openingFilter, queueVariables, WORK_QUEUE } from './queue'

export const SESSION_PATH = '/auth/session'

export interface Early {
  /** what was asked: for the queue, its variables as JSON */
  key: string
  sent: Promise<Response>
}

const asked = new Map<'session' | 'queue', Early>()

function ask(name: 'session' | 'queue', key: string, url: string): void {
  const sent = fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  sent.catch(() => undefined) // a failure is for the one who takes it, not an unhandled rejection
  asked.set(name, { key, sent })
}

/** Sends the early requests for a page load at `path` (location.pathname). */
export function askEarly(path: string): void {
  ask('session', SESSION_PATH, SESSION_PATH)
  if (path === '/todo') {
    const variables = JSON.stringify(queueVariables(openingFilter(), 'DUE', null))
    const query = new URLSearchParams({ query: WORK_QUEUE.toString(), variables })
    ask('queue', variables, `/graphql?${query}`)
  }
}

/** The early request `name`, once: later calls, and a load that sent none, get `null`. */
export function takeEarly(name: 'session' | 'queue'): Early | null {
  const found = asked.get(name) ?? null
  asked.delete(name)
  return found
}
