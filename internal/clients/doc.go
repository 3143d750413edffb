// Package clients drives the real OpenAI-compatible Go clients (openai-go v3,
// Ark's arkruntime, go-openai) through litefuse's recording transport against
// local stand-ins for Ark and Litefuse. It is its own module so the library's
// users never inherit these clients as dependencies; .ci/run tests it.
package clients
