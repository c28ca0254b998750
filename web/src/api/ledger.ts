// 台账导入 and 台账导出 over plain HTTP (api/ledger_upload.py, api/export.py): a file goes
// up as multipart form data, a list comes down as an .xlsx. The preview writes nothing;
// only the import does, all or nothing.
import { locale } from '@/i18n'
import { session } from '@/store/session'
import { ApiError, httpFailure, networkFailure } from '@/utils/errors'

import { CSRF_HEADER, notePosition } from './http'

export interface PreviewRow {
  row: number
  number: string
  problem: string
  measures: string[]
  lead: string
  co: string[]
  deadline: string
}

export interface RowProblem {
  row: number
  column: string
  /** the API's words, Chinese then English, naming the row and the column */
  text: string
}

export interface Preview {
  valid: boolean
  message: string
  rows: PreviewRow[]
  problems: RowProblem[]
}

export interface LedgerChoice {
  file: File
  campaign: string
  createAgencies: boolean
}

/** A refused import: the API's message and the row problems it found, if any. */
export class LedgerRefused extends ApiError {
  constructor(
    message: string,
    status: number,
    readonly problems: RowProblem[],
  ) {
    super(message, status, 'ledger_rejected')
  }
}

type Loose = Record<string, unknown>

function loose(value: unknown): Loose {
  return value && typeof value === 'object' ? (value as Loose) : {}
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value == null ? '' : String(value)
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.map(text) : []
}

export function readProblems(value: unknown): RowProblem[] {
  return (Array.isArray(value) ? value : []).map((item) => {
    const found = loose(item)
    return {
      row: typeof found.row === 'number' ? found.row : 0,
      column: text(found.column),
      text: text(found.text) || text(found.message),
    }
  })
}

/** The server's preview, read defensively: a missing field is empty, never a crash. */
export function readPreview(body: unknown): Preview {
  const found = loose(body)
  const rows = (Array.isArray(found.rows) ? found.rows : []).map((item): PreviewRow => {
    const row = loose(item)
    const deadline = loose(row.deadline)
    return {
      row: typeof row.row === 'number' ? row.row : 0,
      number: text(row.number),
      problem: text(row.problem),
      measures: texts(row.measures),
      lead: text(row.lead),
      co: texts(row.co),
      deadline: text(deadline.text) || text(deadline.dueDate),
    }
  })
  const problems = readProblems(found.problems)
  return { valid: found.valid === true && problems.length === 0, message: text(found.message), rows, problems }
}

async function postFile(path: string, choice: LedgerChoice): Promise<unknown> {
  const form = new FormData()
  form.append('file', choice.file)
  form.append('campaign', choice.campaign)
  if (choice.createAgencies) form.append('createAgencies', 'true')
  let response: Response
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', [CSRF_HEADER]: session.csrfToken },
      body: form,
    })
  } catch {
    throw networkFailure(locale.value)
  }
  const raw = await response.text()
  let body: unknown = null
  try {
    body = raw ? JSON.parse(raw) : null
  } catch {
    body = null
  }
  if (!response.ok) {
    const failure = httpFailure(response.status, body, locale.value)
    const problems = readProblems(loose(body).problems)
    throw problems.length ? new LedgerRefused(failure.message, response.status, problems) : failure
  }
  return body
}

export async function previewLedger(choice: LedgerChoice): Promise<Preview> {
  return readPreview(await postFile('/ledger/preview', choice))
}

/** The import's own summary in the API's words (created, already there). */
export async function importLedger(choice: LedgerChoice): Promise<string> {
  const done = loose(await postFile('/ledger/import', choice))
  notePosition(typeof done.position === 'number' ? done.position : null)
  return text(done.message)
}

/** `/export/<list>.xlsx` with the list's filters as they stand on the page. */
export function exportUrl(list: string, filters: Record<string, string | number | boolean | null | undefined> = {}): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(filters)) {
    if (value !== null && value !== undefined && value !== '' && value !== false) query.set(name, String(value))
  }
  const search = query.toString()
  return `/export/${encodeURIComponent(list)}.xlsx${search ? `?${search}` : ''}`
}
