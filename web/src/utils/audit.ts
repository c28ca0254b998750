// How the audit page shows what the API returns: the trail's values already name agencies
// and read in China time (beforeShown/afterShown); a past state's raw values are shown with
// agency ids replaced by names and its fields under the labels the trail gives them.
import type { EntryIntegrity } from '@/gql/graphql'
import type { MessageKey } from '@/i18n/messages'

export type Names = ReadonlyMap<string, string>

/** One value as text: "—" for nothing, agency ids by name, lists joined with 、. */
export function shownValue(value: unknown, names: Names = new Map()): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'string') return names.get(value) ?? value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.length ? value.map((item) => shownValue(item, names)).join('、') : '—'
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? (names.get(inner) ?? inner) : inner))
}

export interface IntegrityLook {
  tone: 'success' | 'danger' | 'info'
  labelKey: MessageKey
}

export function integrityLook(integrity: EntryIntegrity | null | undefined): IntegrityLook {
  if (integrity === 'VERIFIED') return { tone: 'success', labelKey: 'audit.verified' }
  if (integrity === 'ALTERED') return { tone: 'danger', labelKey: 'audit.altered' }
  if (integrity === 'UNCHAINED') return { tone: 'danger', labelKey: 'audit.unchained' }
  return { tone: 'info', labelKey: 'audit.noHashes' }
}

export interface ChainSummary {
  total: number
  /** events that are ALTERED or UNCHAINED */
  broken: number
  /** no event carries a hash (a store that keeps none) */
  unhashed: boolean
}

export function chainSummary(entries: readonly { integrity?: EntryIntegrity | null }[]): ChainSummary {
  const broken = entries.filter((entry) => entry.integrity === 'ALTERED' || entry.integrity === 'UNCHAINED').length
  const unhashed = entries.length > 0 && entries.every((entry) => !entry.integrity)
  return { total: entries.length, broken, unhashed }
}

// itemAsOf's own keys about the chain, shown apart from the item's fields
const CHAIN_KEYS = new Set(['integrity', 'integrity_warning', 'unverified_versions'])

/** A past state's fields in order, each under the trail's label for it where one is known. */
export function stateRows(
  state: Record<string, unknown>,
  labels: ReadonlyMap<string, string>,
  names: Names,
): { field: string; label: string; value: string }[] {
  return Object.entries(state)
    .filter(([field]) => !CHAIN_KEYS.has(field))
    .map(([field, value]) => ({ field, label: labels.get(field) ?? field, value: shownValue(value, names) }))
}
