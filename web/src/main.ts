// Element Plus's variables first, then ours over them; each component's own styles come
// with the module that uses it (vite.config.ts, elementStyles)
import 'element-plus/theme-chalk/base.css'
import './styles.css'

import { createApp } from 'vue'

import { askFirstPageEarly } from './api/work'
import App from './App.vue'
import { locale } from './i18n'
import { router } from './router'

document.documentElement.lang = locale.value
// 我的待办 opened directly (a liaison's home, a bookmark): its first page is asked for now,
// beside the session, not after it and the page's mounting (ADR 0058)
if (location.pathname === '/todo') askFirstPageEarly()
createApp(App).use(router).mount('#app')
