/**
 * The shape of a plugin name: the plugin's file stem, a rules.yaml `action:` and a CLI argument.
 * In core because the plugin registry and the rules.yaml schema (both rank 1 in docs/architecture.md)
 * check it and may not import each other.
 */
export const PLUGIN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
