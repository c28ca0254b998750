// The badge of a 我的待办 row: working days left, or overdue by how many, as the server
// counts them on the official calendar (WorkItem.workingDaysLeft). The browser's clock is
// never consulted; no figure from the server means no figure shown.
import type { MessageKey } from '@/i18n/messages'

export interface WorkDue {
  dueDate?: string | null
  workingDaysLeft?: number | null
  overdue: boolean
}

export interface WorkBadge {
  tone: 'danger' | 'warning' | 'info' | 'success'
  labelKey: MessageKey
  /** the working days to show in the label ({n}), or null for a label without a figure */
  days: number | null
}

// Three working days or fewer left: the row wants attention (a display choice only).
const SOON = 3

export function workBadge(due: WorkDue): WorkBadge {
  const days = due.workingDaysLeft ?? null
  if (due.overdue) {
    if (days !== null && days < 0) return { tone: 'danger', labelKey: 'work.overdueDays', days: -days }
    return { tone: 'danger', labelKey: 'work.overdue', days: null }
  }
  if (!due.dueDate) return { tone: 'info', labelKey: 'work.undated', days: null }
  if (days === null) return { tone: 'info', labelKey: 'work.dueOn', days: null }
  return { tone: days <= SOON ? 'warning' : 'success', labelKey: 'work.daysLeft', days }
}
