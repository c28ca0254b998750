// One step taken from a dialog: while it runs the confirm button waits; done, the dialog
// closes and the list is read again; refused, the API's words stay in the dialog.
import { ElMessage } from 'element-plus'

import { locale, t } from '@/i18n'
import { messageOf } from '@/utils/errors'

export interface DialogState {
  open: boolean
  error: string
  busy: boolean
}

export async function runDialog(dialog: DialogState, step: () => Promise<unknown>, reload: () => Promise<void>): Promise<void> {
  dialog.busy = true
  dialog.error = ''
  try {
    await step()
    dialog.open = false
    ElMessage.success(t('dialog.done'))
    await reload()
  } catch (failure) {
    dialog.error = messageOf(failure, locale.value)
  } finally {
    dialog.busy = false
  }
}
