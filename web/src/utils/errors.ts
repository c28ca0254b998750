// Every failure the workbench can meet, turned into the words shown to the person. The
// API's own bilingual message ("中文 / English") is shown as it is; our words only where
// the API said nothing (the network, a page that is not JSON).
import { translate } from '@/i18n'
import type { Locale } from '@/i18n/messages'

export const REFUSALS = [
  'NotAllowed',
  'InvalidTransition',
  'AlreadyClaimed',
  'InvalidInput',
  'NotFound',
  'Conflict',
] as const

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export class Refused extends Error {
  constructor(
    message: string,
    readonly typename: string,
  ) {
    super(message)
    this.name = 'Refused'
  }
}

interface GraphQLErrorLike {
  message?: unknown
}

/** A failed HTTP answer: the API's {error, message} body, else our own words. */
export function httpFailure(status: number, body: unknown, lang: Locale): ApiError {
  if (body && typeof body === 'object') {
    const found = body as { message?: unknown; error?: unknown; errors?: GraphQLErrorLike[] }
    const code = typeof found.error === 'string' ? found.error : null
    if (typeof found.message === 'string' && found.message) return new ApiError(found.message, status, code)
    const listed = graphqlErrorsMessage(found.errors)
    if (listed) return new ApiError(listed, status, code)
  }
  if (status === 401) return new ApiError(translate(lang, 'error.session'), status, 'unauthorized')
  return new ApiError(`${translate(lang, 'error.unknown')} (HTTP ${status})`, status)
}

export function networkFailure(lang: Locale): ApiError {
  return new ApiError(translate(lang, 'error.network'))
}

/** GraphQL `errors` as one line, each message once, in order. */
export function graphqlErrorsMessage(errors: GraphQLErrorLike[] | undefined | null): string {
  if (!Array.isArray(errors) || errors.length === 0) return ''
  const seen: string[] = []
  for (const error of errors) {
    const text = typeof error?.message === 'string' ? error.message : ''
    if (text && !seen.includes(text)) seen.push(text)
  }
  return seen.join('；')
}

/** A mutation's result union: a refusal becomes a `Refused` with the API's message. */
export function refusal(result: { __typename?: string; message?: string } | null | undefined): Refused | null {
  if (!result || !result.__typename) return null
  if (!(REFUSALS as readonly string[]).includes(result.__typename)) return null
  return new Refused(result.message ?? result.__typename, result.__typename)
}

export function messageOf(error: unknown, lang: Locale): string {
  if (error instanceof ApiError || error instanceof Refused) return error.message
  if (error instanceof Error && error.message) return error.message
  return translate(lang, 'error.unknown')
}
