// Package static holds the agents' pages' CSS, JavaScript, icons and the
// vendored htmx, embedded in the binary. Each file is served under a name
// that carries a hash of its content, so browsers may cache it for a year
// and still never run a stale copy after an upgrade.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed *.js *.css *.svg
var files embed.FS

// Prefix is the URL path under which the files are served.
const Prefix = "/static/"

type asset struct {
	name string // the file's own name
	body []byte
	ctyp string
}

// index is the embedded files by hashed name and the hashed name of each
// file. It is built on first use, not when the program starts: commands
// that serve no page never pay for hashing the files.
type index struct {
	byHashed map[string]asset  // hashed name -> file
	hashed   map[string]string // file name -> hashed name
}

var assets = sync.OnceValue(func() index {
	ix := index{byHashed: map[string]asset{}, hashed: map[string]string{}}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		h := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ctyp := mime.TypeByExtension(ext)
		if ext == ".js" {
			ctyp = "text/javascript; charset=utf-8"
		}
		ix.byHashed[h] = asset{name: e.Name(), body: body, ctyp: ctyp}
		ix.hashed[e.Name()] = h
	}
	return ix
})

// Path returns the URL of the named file, with its content hash in the
// name. It panics on a name that is not embedded: that is a bug in a
// template, found by the first test that renders it.
func Path(name string) string {
	h, ok := assets().hashed[name]
	if !ok {
		panic("static: no file " + name)
	}
	return Prefix + h
}

// Handler serves the embedded files under Prefix. Hashed names are cached
// for a year; anything else is 404.
func Handler() http.Handler {
	ix := assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := ix.byHashed[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.ctyp)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(a.body)
	})
}

// Raw returns the named file's content, for a file that must be served
// under its own name (the service worker, whose URL sets its scope).
func Raw(name string) ([]byte, bool) {
	h, ok := assets().hashed[name]
	if !ok {
		return nil, false
	}
	return assets().byHashed[h].body, true
}
