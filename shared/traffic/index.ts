/** Realistic, deterministic LlmInteraction traffic with scripted incidents (see README.md here). */
export { APPS, APP_NAMES, createTrafficGenerator, generateEvents } from './generator.js'
export type { GenerateOptions, Rates, TrafficGenerator, TrafficOptions } from './generator.js'
export {
  cardNumber, defaultIncidentScript, INCIDENT_NAMES, IncidentSpecSchema, incidentMatches, luhnValid,
} from './incidents.js'
export type { IncidentName, IncidentSpec } from './incidents.js'
export { estimateTokens, MODELS } from './models.js'
export type { ModelId, ModelProfile } from './models.js'
export { Rng } from './prng.js'
