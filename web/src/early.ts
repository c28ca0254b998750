// index.html's first script, small and run before the workbench's main script has loaded:
// it sends the session's and, on 我的待办, the queue's first requests (src/api/early.ts).
import { askEarly } from './api/early'

askEarly(location.pathname)
