package web

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The media cache keeps each file's last view as its modification time:
// serving a cached file touches it. TrimMediaCache deletes the least
// recently viewed files until the cache fits its cap; a deleted file is
// fetched from Zavu again when someone opens it.

// touchMedia records that the cached file at path was viewed now.
func touchMedia(path string, now time.Time) {
	_ = os.Chtimes(path, now, now)
}

type cachedFile struct {
	path   string
	size   int64
	viewed time.Time
}

// cachedMedia lists the media cache's files (not the fetches under way).
func cachedMedia(dir string) ([]cachedFile, int64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var files []cachedFile
	var total int64
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		files = append(files, cachedFile{path: filepath.Join(dir, e.Name()), size: fi.Size(), viewed: fi.ModTime()})
		total += fi.Size()
	}
	return files, total, nil
}

// mediaCacheSize is the bytes the media cache holds.
func mediaCacheSize(dir string) (int64, error) {
	_, total, err := cachedMedia(dir)
	return total, err
}

// TrimMediaCache deletes the least recently viewed files of the media
// cache in dir until it holds at most maxBytes, and says how many files
// and bytes it deleted.
func TrimMediaCache(dir string, maxBytes int64) (files int, freed int64, err error) {
	list, total, err := cachedMedia(dir)
	if err != nil || total <= maxBytes {
		return 0, 0, err
	}
	slices.SortFunc(list, func(a, b cachedFile) int { return a.viewed.Compare(b.viewed) })
	var errs []error
	for _, f := range list {
		if total <= maxBytes {
			break
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		total -= f.size
		files++
		freed += f.size
	}
	return files, freed, errors.Join(errs...)
}
