/**
 * Vocabulary the text templates draw from. All of it is invented for this generator: fictional
 * companies, products and people, so the traffic looks like a real workload without being one.
 */
export const FIRST_NAMES = [
  'Maria', 'James', 'Aisha', 'Chen', 'Lukas', 'Priya', 'Diego', 'Fatima', 'Oliver', 'Yuki', 'Noah', 'Amara',
  'Sofia', 'Mateo', 'Hannah', 'Ravi', 'Elena', 'Kwame', 'Ingrid', 'Tomasz', 'Leila', 'Samuel', 'Mei', 'Arjun',
  'Clara', 'Jonas', 'Zainab', 'Pablo', 'Emma', 'Hiroshi', 'Nadia', 'Felix', 'Grace', 'Omar', 'Lucia', 'Erik',
] as const

export const LAST_NAMES = [
  'Lopez', 'Okafor', 'Schmidt', 'Tanaka', 'Kowalski', 'Nguyen', 'Haddad', 'Fischer', 'Patel', 'Silva', 'Novak',
  'Johansson', 'Moreau', 'Rossi', 'Kim', 'Mensah', 'Brennan', 'Dubois', 'Costa', 'Yilmaz', 'Andersen', 'Ibrahim',
  'Walsh', 'Sato', 'Bauer', 'Romero', 'Lindqvist', 'Adeyemi', 'Horvat', 'Castillo', 'Weber', 'Chowdhury',
] as const

/** The fictional SaaS company behind the support bot and its plans/features. */
export const PLANS = ['Starter', 'Team', 'Business', 'Enterprise'] as const
export const FEATURES = [
  'shared dashboards', 'SSO login', 'audit log export', 'webhook delivery', 'CSV import', 'scheduled reports',
  'API access', 'custom domains', 'role-based permissions', 'mobile app sync', 'Slack integration',
  'data retention settings', 'two-factor authentication', 'usage alerts', 'workspace templates',
] as const
export const INTEGRATIONS = ['Slack', 'Salesforce', 'Jira', 'HubSpot', 'Zendesk', 'GitHub', 'Google Drive', 'Okta', 'Stripe', 'Teams'] as const
export const BROWSERS = ['Chrome 131', 'Firefox 133', 'Safari 18', 'Edge 131', 'the iOS app', 'the Android app'] as const
export const COUNTRIES = ['Germany', 'Brazil', 'Canada', 'India', 'Japan', 'Kenya', 'Spain', 'Australia', 'Poland', 'Mexico'] as const
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] as const
export const CURRENCIES = ['$', '€', '£'] as const

/** Internal names used by the knowledge base and the ops agent. */
export const SERVICES = [
  'checkout', 'billing-api', 'search-indexer', 'notifications', 'auth-gateway', 'ledger', 'media-transcoder',
  'recommendations', 'inventory-sync', 'report-builder', 'webhooks-dispatcher', 'session-store',
] as const
export const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'sa-east-1'] as const
export const TEAMS = ['Payments', 'Platform', 'Search', 'Identity', 'Data Engineering', 'Mobile', 'Growth', 'SRE', 'Security', 'Developer Experience'] as const
export const DATASTORES = ['PostgreSQL', 'ClickHouse', 'Redis', 'S3', 'Kafka', 'Elasticsearch', 'DynamoDB'] as const
export const TOOLS_APPROVED = ['1Password', 'Bitwarden', 'Keeper'] as const
export const OFFICES = ['Berlin', 'Lisbon', 'Toronto', 'Singapore', 'Austin', 'Warsaw', 'Nairobi', 'Melbourne', 'Dublin'] as const
export const VENDORS = ['Meridian Logistics', 'Brightpath Payroll', 'Corvid Security', 'Tallis Insurance', 'Halcyon Travel', 'Ostara Benefits'] as const

/** Identifiers for the code assistant. */
export const VERBS = ['fetch', 'load', 'parse', 'build', 'sync', 'resolve', 'normalize', 'validate', 'render', 'compute', 'merge', 'export'] as const
export const NOUNS = ['Invoice', 'User', 'Order', 'Report', 'Session', 'Payment', 'Config', 'Metric', 'Shipment', 'Ticket', 'Account', 'Event'] as const
export const FILES = ['src/api/client.ts', 'src/lib/cache.ts', 'app/routes/orders.py', 'internal/store/store.go', 'src/utils/date.ts', 'services/report.py', 'cmd/worker/main.go', 'src/components/Table.tsx'] as const
