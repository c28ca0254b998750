// What the due badge says. Whether something is overdue, and by how many working days, is
// the server's word (the official calendar); the browser's clock is never consulted.
import type { MessageKey } from '@/i18n/messages'

import { formatDateTime } from './format'

export interface DueFacts {
  dueAt?: string | null
  overdue: boolean
  provisional?: boolean
  /** working days past due, as the server counts them (overdue lists) */
  workingDaysOverdue?: number | null
}

export interface DueBadge {
  tone: 'danger' | 'warning' | 'info'
  labelKey: MessageKey
  days: number | null
  when: string
  provisional: boolean
}

export function dueBadge(facts: DueFacts): DueBadge {
  const when = formatDateTime(facts.dueAt)
  const provisional = Boolean(facts.provisional)
  if (facts.overdue) {
    return { tone: 'danger', labelKey: 'due.overdue', days: facts.workingDaysOverdue ?? null, when, provisional }
  }
  if (!facts.dueAt) return { tone: 'info', labelKey: 'due.none', days: null, when, provisional }
  return { tone: provisional ? 'warning' : 'info', labelKey: 'due.running', days: null, when, provisional }
}
