package phonenumbers

// Switchboard's patch (see PATCHED.md): the metadata is decoded on first
// use instead of at package initialisation, so that a program that links
// the library and does not parse a number (a CLI's "version") starts
// without paying for it.

import "sync"

var (
	metadataOnce            sync.Once
	shortNumberMetadataOnce sync.Once
)

// metadata is the active metadata container, decoded on first use.
func metadata() *metadataContainer {
	metadataOnce.Do(initMetadata)
	return currentMetadata
}
