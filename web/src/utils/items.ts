// Item pages (/issues/:id …): where a notice or a list row leads, and the evidence files an
// item's events name. Which files the caller may download is the server's word (/files/<sha256>
// answers 404 otherwise); the page only lists what the API returned.

/** The item kinds that have a page, with their path segment. */
export const ITEM_PATHS = {
  issue: 'issues',
  referral: 'referrals',
  clue: 'clues',
  case_transfer: 'case-transfers',
  // a discipline transfer is a case transfer to the discipline commission (api CaseTransfer)
  discipline_transfer: 'case-transfers',
} as const

export type ItemKind = keyof typeof ITEM_PATHS

/** "/issues/<id>" for a notice's itemKind and itemId; null for a kind without a page. */
export function itemPath(kind: string | null | undefined, id: string | null | undefined): string | null {
  if (!kind || !id) return null
  const segment = (ITEM_PATHS as Record<string, string>)[kind]
  return segment ? `/${segment}/${encodeURIComponent(id)}` : null
}

export interface EvidenceFile {
  /** the reference as the event holds it */
  reference: string
  /** its digest when it is a well-formed `sha256:<hex>` reference, else null (older plain text) */
  sha256: string | null
  /** the download link, for a digest */
  href: string | null
  /** the name it was uploaded under, once the server told it */
  name?: string
}

/** The files with the names the server gave (by digest); a file it did not name keeps none. */
export function withNames(files: readonly EvidenceFile[], named: readonly { sha256: string; fileName: string }[]): EvidenceFile[] {
  const names = new Map(named.map((entry) => [entry.sha256.toLowerCase(), entry.fileName]))
  return files.map((file) => {
    const name = file.sha256 ? names.get(file.sha256) : undefined
    return name ? { ...file, name } : file
  })
}

/** What a file's link says: its name, else the start of its digest. */
export function fileLabel(file: EvidenceFile): string {
  if (file.name) return file.name
  return file.sha256 ? `${file.sha256.slice(0, 12)}…` : file.reference
}

const REFERENCE = /^sha256:([0-9a-fA-F]{64})$/

/** Every attachment named in `lists`, once each, in the order first named. */
export function evidenceFiles(...lists: readonly (readonly unknown[] | null | undefined)[]): EvidenceFile[] {
  const seen = new Set<string>()
  const files: EvidenceFile[] = []
  for (const list of lists) {
    for (const entry of list ?? []) {
      if (typeof entry !== 'string' || !entry.trim()) continue
      const reference = entry.trim()
      const match = REFERENCE.exec(reference)
      const sha256 = match ? match[1].toLowerCase() : null
      const key = sha256 ?? reference
      if (seen.has(key)) continue
      seen.add(key)
      files.push({ reference, sha256, href: sha256 ? `/files/${sha256}` : null })
    }
  }
  return files
}

/** The attachments lists in audit trail payloads (JSON the API does not type). */
export function payloadAttachments(payloads: readonly unknown[]): unknown[][] {
  const lists: unknown[][] = []
  for (const payload of payloads) {
    if (payload && typeof payload === 'object' && Array.isArray((payload as { attachments?: unknown }).attachments)) {
      lists.push((payload as { attachments: unknown[] }).attachments)
    }
  }
  return lists
}

/** The bell's badge: the count, capped so the header keeps its width; "" for none. */
export function unreadBadge(count: number | null | undefined): string {
  if (!count || count < 0) return ''
  return count > 99 ? '99+' : String(count)
}

/** Whether a live notice's item kinds may change the inbox (empty: notices were missed). */
export function mayConcernInbox(kinds: readonly string[]): boolean {
  return kinds.length === 0 || kinds.includes('notification')
}
