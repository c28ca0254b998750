// 领导驾驶舱: the dashboard figures as the server counts them (working days, official calendar).
import { graphql } from '@/gql'

import { gql } from './http'

export const COCKPIT = graphql(`
  query Cockpit {
    statistics {
      asOf
      total { open closed overdue }
      byAgency { agency { id name } counts { open closed overdue } }
      weekly(weeks: 12) { weekStart opened closed }
    }
  }
`)

export async function cockpit() {
  return (await gql(COCKPIT)).statistics
}
