// A mutation's answer on the coordinator's and the admin's pages: a refusal is thrown with
// the API's own words; a change notes its log position so the next read sees it.
import { refusal } from '@/utils/errors'

import { notePosition } from './http'

export type Outcome = { __typename: string; message?: string; position?: number | null }

export function settle(result: Outcome): void {
  const refused = refusal(result)
  if (refused) throw refused
  notePosition(result.position)
}
