// 事项详情: one issue, referral, clue or case transfer with its whole history. The server
// decides what the caller may read: an item it may not read is answered as unknown (null).
import { graphql } from '@/gql'

import { gql, settle } from './http'

export const ISSUE_ITEM = graphql(`
  query IssueItem($id: ID!) {
    issue(id: $id) {
      id number problem measures status overdue cycle pendingExtensionDue
      campaign { id title }
      leadAgency { id name }
      coAgencies { id name }
      deadline { kind dueDate text }
      history { at type actor summary }
    }
    issueClock(issueId: $id) { dueAt provisional pausedSince pauseReason }
  }
`)

// An issue's evidence is named by its progress reports' events (the trail's payloads).
export const ISSUE_EVIDENCE = graphql(`
  query IssueEvidence($id: ID!) {
    auditTrail(id: $id) { payload }
  }
`)

// The events name files by digest; the store knows the names (only the caller's to read).
export const EVIDENCE_NAMES = graphql(`
  query EvidenceNames($references: [String!]!) {
    evidenceFiles(references: $references) { sha256 fileName }
  }
`)

export const REFERRAL_ITEM = graphql(`
  query ReferralItem($id: ID!) {
    referral(id: $id) {
      id status statusLabel reason subjectKind subjectId attachments isGroup round claimedBy
      sender { id name }
      receiver { id name }
      claimDue answerDue dueAt overdue provisional outcome caseNumber sentAt
      history { at type actor summary }
    }
  }
`)

export const CLUE_ITEM = graphql(`
  query ClueItem($id: ID!) {
    clue(id: $id) {
      id status statusLabel channel institution person content attachments
      reporter { display }
      receivingAgency { id name }
      handlingAgency { id name }
      triageNote referralId outcome replyDue repliedAt receivedAt provisional
      history { at type actor summary }
    }
  }
`)

export const CASE_TRANSFER_ITEM = graphql(`
  query CaseTransferItem($id: ID!) {
    caseTransfer(id: $id) {
      id kind status statusLabel caseNumber suspect suspectedOffence facts attachments outcome
      criminalCaseNumber dueAt dueStep overdue provisional reportedAt
      agency { id name }
      receiver { id name }
      procuratorate { id name }
      breaches { step label due }
      history { at type actor summary }
    }
  }
`)

export const issueItem = (id: string) => gql(ISSUE_ITEM, { id })
export const issueEvidence = async (id: string) => (await gql(ISSUE_EVIDENCE, { id })).auditTrail
export const referralItem = async (id: string) => (await gql(REFERRAL_ITEM, { id })).referral
export const clueItem = async (id: string) => (await gql(CLUE_ITEM, { id })).clue
export const caseTransferItem = async (id: string) => (await gql(CASE_TRANSFER_ITEM, { id })).caseTransfer
export const evidenceNames = async (references: string[]) =>
  references.length ? (await gql(EVIDENCE_NAMES, { references })).evidenceFiles : []

// The reporter's identity, only ever in this mutation's answer; the reveal is recorded first.
export const REVEAL_REPORTER = graphql(`
  mutation RevealReporter($id: ID!, $reason: String!) {
    result: revealReporter(clueId: $id, reason: $reason) {
      __typename
      ... on RevealedReporter { name phone idNumber address position }
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export interface RevealedIdentity {
  name: string
  phone: string
  idNumber: string
  address: string
}

/** The identity, or the API's refusal thrown in its words. */
export async function revealReporter(id: string, reason: string): Promise<RevealedIdentity> {
  const { result } = await gql(REVEAL_REPORTER, { id, reason })
  settle(result)
  if (result.__typename !== 'RevealedReporter') throw new Error(result.__typename)
  return { name: result.name, phone: result.phone, idNumber: result.idNumber, address: result.address }
}
