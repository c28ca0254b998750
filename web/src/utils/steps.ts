// Which dialog each step of 我的待办 opens. The server names a row's next steps by their
// GraphQL mutation (WorkItem.steps); here each known mutation maps to the fields its dialog
// asks for, and the answers' keys are what api/work.ts sends. A mutation missing here has
// no dialog: its button is shown disabled, with a tooltip, never as a silent no-op.
import type { Locale, MessageKey } from '@/i18n/messages'

export type FieldKind = 'text' | 'textarea' | 'date' | 'agency' | 'choice'

export interface StepField {
  key: string
  kind: FieldKind
  label: MessageKey
  /** the values of a choice; each is labelled by `<prefix>.<value>` */
  options?: readonly string[]
  prefix?: 'choice' | 'reason'
}

export interface StepDialog {
  fields: StepField[]
  /** a sentence shown above the fields (a step with nothing to fill in) */
  note?: MessageKey
}

const text = (key: string, label: MessageKey): StepField => ({ key, kind: 'textarea', label })
const line = (key: string, label: MessageKey): StepField => ({ key, kind: 'text', label })
const agency = (label: MessageKey): StepField => ({ key: 'agency', kind: 'agency', label })
const choice = (options: readonly string[]): StepField => ({
  key: 'choice',
  kind: 'choice',
  label: 'step.outcomeChoice',
  options,
  prefix: 'choice',
})
const confirmOnly: StepDialog = { fields: [], note: 'step.confirm' }

export const RETURN_REASONS = ['NOT_OUR_REMIT', 'INSUFFICIENT_MATERIAL', 'NEEDS_ANOTHER_AGENCY', 'OTHER'] as const

export const STEP_DIALOGS: Readonly<Record<string, StepDialog>> = {
  claimReferral: { fields: [], note: 'dialog.claimConfirm' },
  returnReferral: {
    fields: [
      { key: 'reason', kind: 'choice', label: 'dialog.returnReason', options: RETURN_REASONS, prefix: 'reason' },
      text('detail', 'dialog.returnDetail'),
    ],
  },
  answerReferral: {
    fields: [text('outcome', 'dialog.outcome'), line('caseNumber', 'dialog.caseNumber'), line('penalties', 'dialog.penalties')],
  },
  reassignReferral: { fields: [agency('step.agency'), text('reason', 'step.reason')] },
  acceptReferral: { fields: [text('comment', 'dialog.comment')] },
  sendBackReferral: { fields: [text('reason', 'step.reason')] },
  reportProgress: { fields: [text('text', 'step.progress')] },
  submitForVerification: { fields: [text('summary', 'step.summary')] },
  requestExtension: {
    fields: [
      text('reason', 'step.reason'),
      { key: 'newDueDate', kind: 'date', label: 'step.newDueDate' },
      line('deadlineText', 'step.deadlineText'),
    ],
  },
  signOff: { fields: [text('comment', 'dialog.comment')] },
  rejectIssue: { fields: [text('reason', 'dialog.rejectReason')] },
  approveExtension: { fields: [text('comment', 'dialog.comment')] },
  denyExtension: { fields: [text('reason', 'step.reason')] },
  handleClue: { fields: [text('note', 'step.note')] },
  referClue: { fields: [agency('step.receiver'), text('reason', 'step.reason')] },
  mergeClue: { fields: [line('into', 'step.intoClue'), text('note', 'step.note')] },
  dismissClue: { fields: [text('reason', 'step.reason')] },
  concludeClue: { fields: [text('outcome', 'dialog.outcome')] },
  replyToReporter: { fields: [text('text', 'step.reply'), line('channel', 'step.channel')] },
  approveCaseTransfer: { fields: [text('comment', 'dialog.comment')] },
  declineCaseTransfer: { fields: [text('reason', 'step.reason')] },
  sendCaseTransfer: confirmOnly,
  receiveCaseTransfer: confirmOnly,
  fileCriminalCase: { fields: [line('caseNumber', 'step.criminalCaseNumber')] },
  refuseCaseTransfer: { fields: [text('reason', 'step.reason')] },
  forwardCaseTransfer: { fields: [agency('step.police'), text('reason', 'step.reason')] },
  requestTransferReconsideration: { fields: [text('reason', 'step.reason')] },
  requestTransferSupervision: { fields: [agency('step.procuratorate'), text('reason', 'step.reason')] },
  answerTransferReconsideration: {
    fields: [choice(['FILE', 'UPHOLD']), text('reason', 'step.reason'), line('caseNumber', 'step.criminalCaseNumber')],
  },
  concludeTransferSupervision: {
    fields: [choice(['FILING_ORDERED', 'REFUSAL_SUSTAINED']), text('reason', 'step.opinion')],
  },
  receiveDisciplineTransfer: confirmOnly,
  decideDisciplineTransfer: {
    fields: [choice(['OPENED', 'PRELIMINARY_CHECK', 'NOT_OPENED']), text('detail', 'dialog.returnDetail')],
  },
  submitReport: { fields: [text('text', 'step.reportText')] },
}

/** The dialog a step opens, or null when the workbench has none for its mutation. */
export function dialogFor(mutation: string): StepDialog | null {
  return Object.hasOwn(STEP_DIALOGS, mutation) ? STEP_DIALOGS[mutation] : null
}

/** A dialog's blank answers: a choice starts on its first option, the rest empty. */
export function blankValues(dialog: StepDialog): Record<string, string> {
  return Object.fromEntries(dialog.fields.map((f) => [f.key, f.kind === 'choice' ? (f.options?.[0] ?? '') : '']))
}

/** One language of a server label worded "中文 / English" (a label without " / " as is). */
export function labelIn(label: string, lang: Locale): string {
  const cut = label.indexOf(' / ')
  if (cut < 0) return label
  return lang === 'en' ? label.slice(cut + 3) : label.slice(0, cut)
}
