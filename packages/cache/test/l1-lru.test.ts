// The shared L1 suite (test/l1-suite.ts) under the 'lru' policy.
import { l1Suite } from './l1-suite.ts'

l1Suite('lru')
