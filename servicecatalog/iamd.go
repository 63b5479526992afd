package servicecatalog

// iamdService is iamd's own service: the actions that guard iamd-specific
// operations (custom services, policy validation, the authorization API).
// It is built in, like AWS's services, so policies naming iamd:* actions
// validate and the prefix cannot be taken by a custom service.
const iamdService = `{
  "prefix": "iamd",
  "name": "iamd",
  "actions": [
    {"name": "Authorize", "accessLevel": "Read"},
    {"name": "DeleteServiceDefinition", "accessLevel": "Write",
     "resourceTypes": [{"name": "service", "required": true}]},
    {"name": "GetServiceDefinition", "accessLevel": "Read",
     "resourceTypes": [{"name": "service", "required": true}]},
    {"name": "ListServiceDefinitions", "accessLevel": "List",
     "resourceTypes": [{"name": "service", "required": true}]},
    {"name": "PutServiceDefinition", "accessLevel": "Write",
     "resourceTypes": [{"name": "service", "required": true}]},
    {"name": "ValidatePolicy", "accessLevel": "Read"}
  ],
  "resourceTypes": [
    {"name": "service", "arn": "arn:${Partition}:iamd::${Account}:service/${ServicePrefix}"}
  ]
}`

// builtin are services that ship with iamd besides AWS's, by prefix.
var builtin = map[string]string{"iamd": iamdService}
