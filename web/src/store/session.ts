// Who is signed in, as the server's session says (GET /auth/session). The session itself
// is an HttpOnly cookie the page cannot read; the CSRF token comes back in the body and is
// sent as a header on every GraphQL request.
import { reactive } from 'vue'

export interface SessionUser {
  username: string
  displayName: string
  role: string
  agencyId: string | null
  agencyName: string | null
  region: string | null
}

export const session = reactive({
  user: null as SessionUser | null,
  csrfToken: '',
  checked: false,
})

export function signedIn(user: SessionUser, csrfToken: string): void {
  session.user = { ...user, role: user.role.toLowerCase() }
  session.csrfToken = csrfToken
  session.checked = true
}

export function signedOut(): void {
  session.user = null
  session.csrfToken = ''
  session.checked = true
}
