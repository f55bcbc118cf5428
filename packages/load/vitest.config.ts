import { hotpathVitest } from '@hotpath/config/vitest'
import { defineConfig } from 'vitest/config'

// Load tests generate real load: run the files one after the other so they do not starve each other of CPU
// (the timing tests are judged against the server's own record and the event-loop delays both sides saw).
export default defineConfig(hotpathVitest({ fileParallelism: false }))
