import { describe, expect, it } from 'vitest'

import { canTake } from '@/api/steps'
import { messages, type MessageKey } from '@/i18n/messages'
import { blankValues, dialogFor, labelIn, STEP_DIALOGS } from '@/utils/steps'

// Every mutation api/authz/work_queue.py may name as a step.
const SERVER_STEPS = [
  'claimReferral', 'returnReferral', 'answerReferral', 'reassignReferral', 'acceptReferral', 'sendBackReferral',
  'reportProgress', 'submitForVerification', 'requestExtension', 'signOff', 'rejectIssue',
  'approveExtension', 'denyExtension', 'handleClue', 'referClue', 'mergeClue', 'dismissClue',
  'concludeClue', 'replyToReporter', 'approveCaseTransfer', 'declineCaseTransfer', 'sendCaseTransfer',
  'receiveCaseTransfer', 'fileCriminalCase', 'refuseCaseTransfer', 'forwardCaseTransfer',
  'requestTransferReconsideration', 'requestTransferSupervision', 'answerTransferReconsideration',
  'concludeTransferSupervision', 'receiveDisciplineTransfer', 'decideDisciplineTransfer', 'submitReport',
]

describe('a step of 我的待办 opens the dialog of its mutation', () => {
  it('has a dialog for every step the server offers', () => {
    expect(SERVER_STEPS.filter((m) => !dialogFor(m))).toEqual([])
  })

  it('can send every mutation it has a dialog for', () => {
    expect(Object.keys(STEP_DIALOGS).filter((m) => !canTake(m))).toEqual([])
  })

  it('has no dialog for a mutation it does not know, so the button is disabled', () => {
    expect(dialogFor('revealReporter')).toBeNull()
    expect(dialogFor('toString')).toBeNull()
    expect(canTake('toString')).toBe(false)
  })

  it('asks for the text of a progress report', () => {
    expect(dialogFor('reportProgress')?.fields.map((f) => [f.key, f.kind])).toEqual([['text', 'textarea']])
  })

  it('asks an extension for a reason and a new date or a deadline wording', () => {
    expect(dialogFor('requestExtension')?.fields.map((f) => [f.key, f.kind])).toEqual([
      ['reason', 'textarea'],
      ['newDueDate', 'date'],
      ['deadlineText', 'text'],
    ])
  })

  it('asks a forward for the police agency', () => {
    expect(dialogFor('forwardCaseTransfer')?.fields[0]).toMatchObject({ key: 'agency', kind: 'agency' })
  })

  it('only confirms a step with nothing to fill in', () => {
    const send = dialogFor('sendCaseTransfer')
    expect(send?.fields).toEqual([])
    expect(send?.note).toBe('step.confirm')
  })

  it('starts a choice on its first option and text empty', () => {
    const answer = dialogFor('answerTransferReconsideration')
    expect(answer && blankValues(answer)).toEqual({ choice: 'FILE', reason: '', caseNumber: '' })
  })

  it('names every field and option in both languages', () => {
    for (const dialog of Object.values(STEP_DIALOGS)) {
      for (const field of dialog.fields) {
        expect(messages.en[field.label]).toBeTruthy()
        for (const option of field.options ?? []) {
          expect(messages.en[`${field.prefix ?? 'choice'}.${option}` as MessageKey]).toBeTruthy()
          expect(messages['zh-CN'][`${field.prefix ?? 'choice'}.${option}` as MessageKey]).toBeTruthy()
        }
      }
    }
  })
})

describe('a server label is shown in the chosen language', () => {
  it('takes the Chinese half in Chinese and the English half in English', () => {
    expect(labelIn('报告进展 / report progress', 'zh-CN')).toBe('报告进展')
    expect(labelIn('报告进展 / report progress', 'en')).toBe('report progress')
  })

  it('keeps a label without both halves as it is', () => {
    expect(labelIn('签收', 'en')).toBe('签收')
  })
})
