import { tfjsSuite } from '../../support/tfjs-suite.js'

tfjsSuite('cpu')
