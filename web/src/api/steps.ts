// The steps 我的待办's rows offer, each a mutation the server names in `steps[].mutation`
// (api/authz/work_queue.py), and how the workbench sends each. A chunk of its own, loaded
// when a step's dialog is first confirmed (or the browser is idle after the queue is
// drawn): its 35 documents are not needed to draw the queue (ADR 0084).
import { graphql } from '@/gql'
import type { DisciplineOutcome, ReconsiderationOutcome, ReturnReason, SupervisionOutcome } from '@/gql/graphql'

import { approveExtension, denyExtension } from './coordination'
import { gql, settle } from './http'
import { rejectIssue, signOff } from './issues'
import { answerReferral, claimReferral, reassignReferral, returnReferral } from './referrals'

const ACCEPT = graphql(`
  mutation AcceptReferral($id: ID!, $comment: String!) {
    result: acceptReferral(referralId: $id, comment: $comment) { ...ReferralOutcome }
  }
`)

const SEND_BACK = graphql(`
  mutation SendBackReferral($id: ID!, $reason: String!) {
    result: sendBackReferral(referralId: $id, reason: $reason) { ...ReferralOutcome }
  }
`)

const REPORT_PROGRESS = graphql(`
  mutation ReportProgress($id: ID!, $text: String!) {
    result: reportProgress(issueId: $id, text: $text) { ...IssueOutcome }
  }
`)

const SUBMIT_FOR_VERIFICATION = graphql(`
  mutation SubmitForVerification($id: ID!, $summary: String!) {
    result: submitForVerification(issueId: $id, summary: $summary) { ...IssueOutcome }
  }
`)

const REQUEST_EXTENSION = graphql(`
  mutation RequestExtension($id: ID!, $reason: String!, $newDueDate: Date, $deadlineText: String) {
    result: requestExtension(issueId: $id, reason: $reason, newDueDate: $newDueDate, deadlineText: $deadlineText) {
      ...IssueOutcome
    }
  }
`)

export const CLUE_OUTCOME = graphql(`
  fragment ClueOutcome on ClueResult {
    __typename
    ... on ClueChanged { position }
    ... on NotAllowed { message }
    ... on InvalidTransition { message }
    ... on InvalidInput { message }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

const HANDLE_CLUE = graphql(`
  mutation HandleClue($id: ID!, $note: String!) {
    result: handleClue(clueId: $id, note: $note) { ...ClueOutcome }
  }
`)

const REFER_CLUE = graphql(`
  mutation ReferClue($id: ID!, $receiver: ID!, $reason: String!) {
    result: referClue(clueId: $id, receiver: $receiver, reason: $reason) { ...ClueOutcome }
  }
`)

const MERGE_CLUE = graphql(`
  mutation MergeClue($id: ID!, $into: ID!, $note: String!) {
    result: mergeClue(clueId: $id, intoClueId: $into, note: $note) { ...ClueOutcome }
  }
`)

const DISMISS_CLUE = graphql(`
  mutation DismissClue($id: ID!, $reason: String!) {
    result: dismissClue(clueId: $id, reason: $reason) { ...ClueOutcome }
  }
`)

const CONCLUDE_CLUE = graphql(`
  mutation ConcludeClue($id: ID!, $outcome: String!) {
    result: concludeClue(clueId: $id, outcome: $outcome) { ...ClueOutcome }
  }
`)

const REPLY_TO_REPORTER = graphql(`
  mutation ReplyToReporter($id: ID!, $text: String!, $channel: String!) {
    result: replyToReporter(clueId: $id, text: $text, channel: $channel) { ...ClueOutcome }
  }
`)

export const TRANSFER_OUTCOME = graphql(`
  fragment TransferOutcome on CaseTransferResult {
    __typename
    ... on CaseTransferChanged { position }
    ... on NotAllowed { message }
    ... on InvalidTransition { message }
    ... on InvalidInput { message }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

const APPROVE_TRANSFER = graphql(`
  mutation ApproveCaseTransfer($id: ID!, $comment: String!) {
    result: approveCaseTransfer(transferId: $id, comment: $comment) { ...TransferOutcome }
  }
`)

const DECLINE_TRANSFER = graphql(`
  mutation DeclineCaseTransfer($id: ID!, $reason: String!) {
    result: declineCaseTransfer(transferId: $id, reason: $reason) { ...TransferOutcome }
  }
`)

const SEND_TRANSFER = graphql(`
  mutation SendCaseTransfer($id: ID!) {
    result: sendCaseTransfer(transferId: $id) { ...TransferOutcome }
  }
`)

const RECEIVE_TRANSFER = graphql(`
  mutation ReceiveCaseTransfer($id: ID!) {
    result: receiveCaseTransfer(transferId: $id) { ...TransferOutcome }
  }
`)

const FILE_CASE = graphql(`
  mutation FileCriminalCase($id: ID!, $criminalCaseNumber: String!) {
    result: fileCriminalCase(transferId: $id, criminalCaseNumber: $criminalCaseNumber) { ...TransferOutcome }
  }
`)

const REFUSE_TRANSFER = graphql(`
  mutation RefuseCaseTransfer($id: ID!, $reasons: String!) {
    result: refuseCaseTransfer(transferId: $id, reasons: $reasons) { ...TransferOutcome }
  }
`)

const FORWARD_TRANSFER = graphql(`
  mutation ForwardCaseTransfer($id: ID!, $police: ID!, $reason: String!) {
    result: forwardCaseTransfer(transferId: $id, police: $police, reason: $reason) { ...TransferOutcome }
  }
`)

const REQUEST_RECONSIDERATION = graphql(`
  mutation RequestTransferReconsideration($id: ID!, $reason: String!) {
    result: requestTransferReconsideration(transferId: $id, reason: $reason) { ...TransferOutcome }
  }
`)

const REQUEST_SUPERVISION = graphql(`
  mutation RequestTransferSupervision($id: ID!, $procuratorate: ID!, $reason: String!) {
    result: requestTransferSupervision(transferId: $id, procuratorate: $procuratorate, reason: $reason) {
      ...TransferOutcome
    }
  }
`)

const ANSWER_RECONSIDERATION = graphql(`
  mutation AnswerTransferReconsideration(
    $id: ID!, $outcome: ReconsiderationOutcome!, $reasons: String!, $criminalCaseNumber: String!
  ) {
    result: answerTransferReconsideration(
      transferId: $id, outcome: $outcome, reasons: $reasons, criminalCaseNumber: $criminalCaseNumber
    ) { ...TransferOutcome }
  }
`)

const CONCLUDE_SUPERVISION = graphql(`
  mutation ConcludeTransferSupervision($id: ID!, $outcome: SupervisionOutcome!, $opinion: String!) {
    result: concludeTransferSupervision(transferId: $id, outcome: $outcome, opinion: $opinion) { ...TransferOutcome }
  }
`)

const RECEIVE_DISCIPLINE = graphql(`
  mutation ReceiveDisciplineTransfer($id: ID!) {
    result: receiveDisciplineTransfer(transferId: $id) { ...TransferOutcome }
  }
`)

const DECIDE_DISCIPLINE = graphql(`
  mutation DecideDisciplineTransfer($id: ID!, $outcome: DisciplineOutcome!, $detail: String!) {
    result: decideDisciplineTransfer(transferId: $id, outcome: $outcome, detail: $detail) { ...TransferOutcome }
  }
`)

const SUBMIT_REPORT = graphql(`
  mutation SubmitReport($id: ID!, $text: String!) {
    result: submitReport(reportId: $id, text: $text) {
      __typename
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

/** A dialog's answers, by field key (src/utils/steps.ts). */
export type Values = Record<string, string>

type Take = (id: string, v: Values) => Promise<void>

/** A mutation's answer settled: its refusal thrown in the API's words. */
async function send(answer: Promise<{ result: Parameters<typeof settle>[0] }>): Promise<void> {
  settle((await answer).result)
}

// A choice's answer is one of the field's options (utils/steps.ts), typed here as the enum
// it is. A blank date or wording is sent as "not given".
const TAKE: Record<string, Take> = {
  claimReferral: (id) => claimReferral(id),
  returnReferral: (id, v) => returnReferral(id, v.reason as ReturnReason, v.detail),
  answerReferral: (id, v) => answerReferral(id, v.outcome, v.caseNumber, v.penalties),
  reassignReferral: (id, v) => reassignReferral(id, v.agency, v.reason),
  acceptReferral: (id, v) => send(gql(ACCEPT, { id, comment: v.comment })),
  sendBackReferral: (id, v) => send(gql(SEND_BACK, { id, reason: v.reason })),
  reportProgress: (id, v) => send(gql(REPORT_PROGRESS, { id, text: v.text })),
  submitForVerification: (id, v) => send(gql(SUBMIT_FOR_VERIFICATION, { id, summary: v.summary })),
  requestExtension: (id, v) =>
    send(
      gql(REQUEST_EXTENSION, {
        id,
        reason: v.reason,
        newDueDate: v.newDueDate || null,
        deadlineText: v.deadlineText.trim() || null,
      }),
    ),
  signOff: (id, v) => signOff(id, v.comment),
  rejectIssue: (id, v) => rejectIssue(id, v.reason),
  approveExtension: (id, v) => approveExtension(id, v.comment),
  denyExtension: (id, v) => denyExtension(id, v.reason),
  handleClue: (id, v) => send(gql(HANDLE_CLUE, { id, note: v.note })),
  referClue: (id, v) => send(gql(REFER_CLUE, { id, receiver: v.agency, reason: v.reason })),
  mergeClue: (id, v) => send(gql(MERGE_CLUE, { id, into: v.into, note: v.note })),
  dismissClue: (id, v) => send(gql(DISMISS_CLUE, { id, reason: v.reason })),
  concludeClue: (id, v) => send(gql(CONCLUDE_CLUE, { id, outcome: v.outcome })),
  replyToReporter: (id, v) => send(gql(REPLY_TO_REPORTER, { id, text: v.text, channel: v.channel })),
  approveCaseTransfer: (id, v) => send(gql(APPROVE_TRANSFER, { id, comment: v.comment })),
  declineCaseTransfer: (id, v) => send(gql(DECLINE_TRANSFER, { id, reason: v.reason })),
  sendCaseTransfer: (id) => send(gql(SEND_TRANSFER, { id })),
  receiveCaseTransfer: (id) => send(gql(RECEIVE_TRANSFER, { id })),
  fileCriminalCase: (id, v) => send(gql(FILE_CASE, { id, criminalCaseNumber: v.caseNumber })),
  refuseCaseTransfer: (id, v) => send(gql(REFUSE_TRANSFER, { id, reasons: v.reason })),
  forwardCaseTransfer: (id, v) => send(gql(FORWARD_TRANSFER, { id, police: v.agency, reason: v.reason })),
  requestTransferReconsideration: (id, v) => send(gql(REQUEST_RECONSIDERATION, { id, reason: v.reason })),
  requestTransferSupervision: (id, v) =>
    send(gql(REQUEST_SUPERVISION, { id, procuratorate: v.agency, reason: v.reason })),
  answerTransferReconsideration: (id, v) =>
    send(
      gql(ANSWER_RECONSIDERATION, {
        id,
        outcome: v.choice as ReconsiderationOutcome,
        reasons: v.reason,
        criminalCaseNumber: v.caseNumber,
      }),
    ),
  concludeTransferSupervision: (id, v) =>
    send(gql(CONCLUDE_SUPERVISION, { id, outcome: v.choice as SupervisionOutcome, opinion: v.reason })),
  receiveDisciplineTransfer: (id) => send(gql(RECEIVE_DISCIPLINE, { id })),
  decideDisciplineTransfer: (id, v) =>
    send(gql(DECIDE_DISCIPLINE, { id, outcome: v.choice as DisciplineOutcome, detail: v.detail })),
  submitReport: (id, v) => send(gql(SUBMIT_REPORT, { id, text: v.text })),
}

/** Whether the workbench can send `mutation` (a step the server named). */
export function canTake(mutation: string): boolean {
  return Object.hasOwn(TAKE, mutation)
}

/** Takes the step: the API's refusal is thrown in its words (settle). */
export async function takeStep(mutation: string, id: string, values: Values): Promise<void> {
  const take = canTake(mutation) ? TAKE[mutation] : null
  if (!take) throw new Error(`${mutation}: no dialog`)
  await take(id, values)
}
