// Every command's --help, apart from the command code, so that `lading CMD --help` loads nothing heavy.

export const helpTexts = {
  export: `Usage: lading export [DIR...] [options]

Build an image from directories (one layer each), tarballs or tree diffs, on top of an optional base image, and
export it. Without --output it writes an OCI image layout directory under ./out.

Inputs:
  DIR, --layer DIR         A directory; each one becomes one layer (in order)
      --tarball FILE       A layer tarball (plain, gzip or zstd; kept as is when its compression matches)
      --diff LOWER:UPPER   One layer of the changes from LOWER to UPPER (with whiteouts)
      --base REF           Base image: oci:DIR[:TAG] or docker://REF (pulled); --base-insecure for http registries
      --platform OS/ARCH[,OS/ARCH...]
                           Platform of the image (default: this machine); several make one image each (the base
                           resolved per platform) and an index over them (type=oci, image, registry)
      --platform-layer OS/ARCH=DIR
                           A layer for one platform only, on top of the common ones (repeatable)

Config:
      --config FILE        Start from this image config JSON
  -e, --env K=V            Set an environment variable (repeatable; K- removes K)
      --entrypoint JSON|S  Entrypoint: a JSON array, or a string run with /bin/sh -c
      --cmd JSON|S         Cmd, the same way
      --workdir DIR        Working directory
      --user USER          User
      --label K=V          Label (repeatable)
      --expose PORT[/PROTO] Exposed port (repeatable)
      --epoch SECONDS      SOURCE_DATE_EPOCH (default: $SOURCE_DATE_EPOCH): clamps times for reproducible images

Output:
  -o, --output SPEC        BuildKit's grammar, CSV: type=oci|docker|image|registry|moby|<plugin>,KEY=VALUE,...
                           (default type=oci,tar=false,dest=./out). Repeatable.
  -t, --tag NAME           Name for outputs that do not set name= (repeatable)
      --compression C      uncompressed|gzip|zstd (default gzip; an output's compression= wins)
      --compression-level N
      --force-compression  Recompress base-image layers stored in another compression (diff IDs unchanged)
      --exporter-plugin M  Load exporters from module M (path or package; repeatable)
      --cache-to SPEC      Export the layers as a BuildKit cache (repeatable): type=registry,ref=REF,
                           type=local,dest=DIR[,tag=T], or type=inline (in the image config, read back from the
                           image itself). BuildKit's attributes: mode=min|max, image-manifest= (default true),
                           oci-mediatypes= (default true; false writes a Docker manifest list), compression=,
                           compression-level=, force-compression=true (recompress the cache's layers),
                           ignore-error=true (a failed cache export is a warning), registry.insecure=true
      --cache-from SPEC    Import a BuildKit cache (repeatable): type=registry,ref=REF (or just REF), or
                           type=local,src=DIR[,tag=T|digest=D]; any of BuildKit's forms, or an image with an inline
                           cache. A layer whose key it holds (base image, epoch, input contents) is not rebuilt.
                           A cache that is missing, unreachable or not a cache is a warning, never an error
      --metadata-file F    Write the exporter response (containerimage.digest, ...) as JSON to F

Attestations (buildx's flags; BuildKit's attestation storage: the image becomes an index with an attestation
manifest per platform; type=oci, image and registry keep them, type=docker and moby refuse them):
      --attest SPEC        type=sbom: an SPDX 2.3 SBOM of the image's npm, Debian, Alpine and Python packages,
                           found while the layers are built (base layers read once and remembered);
                           type=provenance[,mode=min|max][,builder-id=ID][,reproducible=true]: SLSA v0.2
                           provenance (max, the default, adds the steps, config edits and directory digests);
                           disabled=true turns a type off. Repeatable; the last of a type wins
      --sbom BOOL|ATTRS    Shorthand for --attest type=sbom
      --provenance BOOL|ATTRS
                           Shorthand for --attest type=provenance (e.g. --provenance mode=min)
      --store DIR          The lading store (default $LADING_STORE or ~/.local/share/lading/store)
      --moby-root DIR      Root of the moby-style store for type=moby (default $LADING_MOBY_ROOT)
      --json               Print the result as JSON on stdout
      --progress MODE      auto|plain|tty|json|quiet (stderr)

Examples:
  lading export ./examples/hello-rootfs --tag hello:latest
  lading export rootfs -o type=oci,dest=hello.tar --tag hello:1
  lading export rootfs -o type=docker,dest=hello-docker.tar -t hello:1
  lading export app --base oci:./base:latest --cmd '["/app"]' -o 'type=image,"name=a:1,b:1",unpack=true'
  lading export rootfs -o type=registry,name=localhost:5000/hello:1,registry.insecure=true
  lading export rootfs -o type=moby,name=hello --moby-root /tmp/moby
  SOURCE_DATE_EPOCH=0 lading export rootfs -o type=oci,tar=false,dest=out --tag hello
  lading export app -o type=oci,dest=app.tar --cache-from type=registry,ref=ghcr.io/me/app:cache \
    --cache-to type=registry,ref=ghcr.io/me/app:cache,mode=max
  lading export app -o type=registry,name=localhost:5000/app:1 --cache-to type=inline
  lading export ./app --base oci:./base:1 --attest type=sbom --attest type=provenance,mode=max \
    -o type=registry,name=localhost:5000/app:1,registry.insecure=true
  lading export ./app --sbom=true --provenance=mode=min -o type=oci,dest=app.tar -t app:1
`,
  inspect: `Usage: lading inspect IMAGE [options]

Print an image's manifest descriptor, manifest and config as JSON.
IMAGE is oci:DIR[:TAG] or a name in the lading store.

Options:
      --platform OS/ARCH  Platform to pick from a multi-platform index (default: this machine)
      --config            Print only the config
      --store DIR         The lading store

Examples:
  lading inspect oci:./out:latest
  lading inspect hello:latest --config
`,
  push: `Usage: lading push IMAGE [DEST] [options]

Push an image of the lading store (or oci:DIR:TAG) to a registry. DEST defaults to IMAGE's name
(docker:// is optional).

Options:
      --insecure       Allow http and unverified TLS
      --format FORMAT  oci, docker or keep (default): the media types pushed

Examples:
  lading push localhost:5000/hello:1 --insecure
  lading push oci:./out:latest docker://localhost:5000/hello:1 --insecure
`,
  copy: `Usage: lading copy SOURCE DEST [options]

Copy an image (every platform) between an OCI layout (oci:DIR:TAG), a registry (docker://REF) and the lading
store (a bare NAME).

Into an OCI layout, Docker schema2 manifests and indexes are converted to OCI media types (new digests; layer and
config bytes unchanged); elsewhere the image is copied as it is, unless --format asks.

Options:
      --insecure       Allow http and unverified TLS for the registry
      --format FORMAT  oci, docker or keep: the media types written (default: oci into oci:, else keep)

Examples:
  lading copy oci:./out:latest docker://localhost:5000/hello:1 --insecure
  lading copy docker://docker.io/library/busybox:latest oci:./busybox:latest
  lading copy oci:./out:latest hello:latest
`,
  ls: `Usage: lading ls [oci:DIR] [options]

List the named images of the lading store (or of an OCI image layout).

Examples:
  lading ls
  lading ls oci:./out --json
`,
  tag: `Usage: lading tag SOURCE NAME... [options]

Give an image of the lading store more names (an existing name is moved).

Examples:
  lading tag hello:latest hello:1.0 registry.example/hello:1.0
`,
  rm: `Usage: lading rm NAME... [options]

Remove names from the lading store (blobs go at the next lading gc).

Examples:
  lading rm hello:latest && lading gc
`,
  gc: `Usage: lading gc [options]

Remove the blobs of the lading store that no name (index.json) or lease holds.

Examples:
  lading gc --json
`,
} as const;
