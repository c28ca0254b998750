// The one place that talks to the server: JSON over fetch with the session cookie, the
// CSRF header on GraphQL, and every failure turned into a message (src/utils/errors.ts).
import { locale } from '@/i18n'
import { session, signedOut } from '@/store/session'
import { ApiError, graphqlErrorsMessage, httpFailure, networkFailure, refusal } from '@/utils/errors'

import type { TypedDocumentString } from '@/gql/graphql'

export const CSRF_HEADER = 'X-CSRF-Token'
export const MIN_POSITION_HEADER = 'X-Rectify-Min-Position'

// Read-your-writes (api/app.py): after a mutation, reads wait until the read tables have
// caught up with the log position it returned, so a list refetched at once shows the change.
let lastPosition = 0

export function notePosition(position: number | null | undefined): void {
  if (typeof position === 'number' && position > lastPosition) lastPosition = position
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export async function requestJson(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  return answerOf(
    fetch(path, {
      credentials: 'same-origin',
      ...init,
      headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    }),
  )
}

/** A request's answer as requestJson gives it, for one already sent (src/api/early.ts). */
export async function answerOf(sent: Promise<Response>): Promise<{ status: number; body: unknown }> {
  let response: Response
  try {
    response = await sent
  } catch {
    throw networkFailure(locale.value)
  }
  return { status: response.status, body: await readJson(response) }
}

/** Runs a typed operation; the result is typed from api/schema.graphql by codegen. */
export async function gql<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
  ...[variables]: Variables extends Record<string, never> ? [] : [Variables]
): Promise<Result> {
  const { status, body } = await requestJson('/graphql', {
    method: 'POST',
    headers: {
      [CSRF_HEADER]: session.csrfToken,
      ...(lastPosition ? { [MIN_POSITION_HEADER]: String(lastPosition) } : {}),
    },
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  })
  if (status === 401) {
    signedOut()
    throw httpFailure(status, body, locale.value)
  }
  if (status !== 200) throw httpFailure(status, body, locale.value)
  const answer = body as { data?: Result | null; errors?: { message?: unknown }[] } | null
  const failed = graphqlErrorsMessage(answer?.errors)
  if (failed) throw new ApiError(failed, status, 'graphql')
  if (!answer?.data) throw httpFailure(status, body, locale.value)
  return answer.data
}

/** The answer to a read sent early as GET /graphql (src/api/early.ts), which needs no CSRF
 * token (api/session_auth.py lets reads through on the cookie alone), so it may be asked
 * before /auth/session has answered. It changes nothing here: any failure, signed out
 * included, is `null`, and the caller asks again the usual way, whose failure is then shown
 * and acted on. */
export async function readEarly<Result>(sent: Promise<Response>): Promise<Result | null> {
  try {
    const { status, body } = await answerOf(sent)
    const answer = body as { data?: Result | null; errors?: unknown[] } | null
    return status === 200 && answer?.data && !answer.errors?.length ? answer.data : null
  } catch {
    return null
  }
}

/** A mutation's result: a refusal is thrown with the API's message; a change's log
 * position is kept so the next read shows it. */
export function settle(result: { __typename: string; message?: string; position?: number | null }): void {
  const refused = refusal(result)
  if (refused) throw refused
  notePosition(result.position)
}
