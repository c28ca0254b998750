// 台账导入 and 台账导出 over plain HTTP (not GraphQL): a file goes up as multipart form data,
// a list comes down as an .xlsx. The preview writes nothing; only the import does.
import { locale } from '@/i18n'
import { session } from '@/store/session'
import { httpFailure, networkFailure } from '@/utils/errors'

import { CSRF_HEADER } from './http'

export interface RowError {
  row: number | null
  field: string
  message: string
}

export interface Preview {
  rows: Record<string, unknown>[]
  errors: RowError[]
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value == null ? '' : String(value)
}

/** The server's preview, read without trusting its shape: rows are shown as they come. */
export function readPreview(body: unknown): Preview {
  const found = (body && typeof body === 'object' ? body : {}) as { rows?: unknown; errors?: unknown }
  const rows = Array.isArray(found.rows) ? found.rows.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object') : []
  const errors = (Array.isArray(found.errors) ? found.errors : []).map((item): RowError => {
    const error = (item && typeof item === 'object' ? item : { message: item }) as Record<string, unknown>
    const row = typeof error.row === 'number' ? error.row : null
    return { row, field: text(error.field), message: text(error.message) }
  })
  return { rows, errors }
}

async function postFile(path: string, file: File, campaign: string): Promise<unknown> {
  const form = new FormData()
  form.append('file', file)
  form.append('campaign', campaign)
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
  if (!response.ok) throw httpFailure(response.status, body, locale.value)
  return body
}

export async function previewLedger(file: File, campaign: string): Promise<Preview> {
  return readPreview(await postFile('/ledger/preview', file, campaign))
}

/** The number of issues written, when the server says it. */
export async function importLedger(file: File, campaign: string): Promise<number | null> {
  const body = (await postFile('/ledger/import', file, campaign)) as { imported?: unknown; count?: unknown } | null
  const count = body?.imported ?? body?.count
  return typeof count === 'number' ? count : null
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
