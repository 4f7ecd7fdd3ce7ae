import { tfjsSuite } from './tfjs-suite.js'

tfjsSuite('webgpu')
