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
      --workdir DIR        Working directory (--workingdir, buildah's spelling, is the same flag)
      --user USER          User
      --label K=V          Label (repeatable)
      --expose PORT[/PROTO] Exposed port (repeatable; --port, buildah's spelling, is the same flag)
      --epoch SECONDS      SOURCE_DATE_EPOCH (default: $SOURCE_DATE_EPOCH): clamps times for reproducible images

Output:
  -o, --output SPEC        BuildKit's grammar, CSV: type=oci|docker|image|registry|moby|local|tar|<plugin>,
                           KEY=VALUE,... (default type=oci,tar=false,dest=./out). Repeatable. type=moby, and
                           type=docker without dest=, go into the Docker Engine of DOCKER_HOST, the docker
                           context, else /var/run/docker.sock; only the layers it lacks are sent. As buildx:
                           -o DIR is type=local,dest=DIR (the filesystem into DIR), -o - is type=tar,dest=-
                           (the filesystem as a tar on stdout); a tarball output without dest= goes to stdout.
                           type=local|tar take dest, platform-split, source-date-epoch. An unknown attribute
                           is a warning ("did you mean ...?")
      --push               Shorthand for -o type=registry (sets push=true on an image/registry output)
      --load               Shorthand for -o type=docker: load the image into the Docker Engine
      --annotation [TYPE[,TYPE]:]K=V
                           An annotation on every image output, as buildx: TYPE manifest (default),
                           manifest-descriptor (either with [OS/ARCH] for one platform), index, index-descriptor
  -t, --tag NAME           Name for outputs that do not set name= (repeatable)
      --compression C      uncompressed|gzip|zstd (default gzip, uncompressed into the Docker Engine; an
                           output's compression= wins)
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

Signing (registry outputs: type=registry, or type=image with push=true; OCI layouts: type=oci,tar=false):
      --sign-key FILE      Sign each pushed name with this private key (repeatable): an armored OpenPGP key makes
                           a simple signature in the registries.d lookaside (what skopeo and podman verify); a
                           cosign key (ENCRYPTED COSIGN/SIGSTORE PRIVATE KEY) a cosign signature in the registry's
                           sha256-<hex>.sig tag (and a referrer where the registry has the referrers API), or
                           in an OCI layout's index.json (cosign keys only; the output needs name=REF)
      --passphrase-file F  The keys' passphrase (first line of F; default $LADING_PASSPHRASE)
      --registries.d DIR   Where lookasides are configured (default ~/.config/containers/registries.d when it
                           exists, else /etc/containers/registries.d; lookaside-staging is written)

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
      --moby-root DIR      type=moby into a stopped dockerd's data-root (what dockerd --data-root takes; default
                           $LADING_MOBY_ROOT) instead of the running Docker Engine: written as docker load leaves
                           it, so \`dockerd --data-root DIR\` lists and runs the image. Refused while a daemon runs
                           on DIR
      --moby-driver D      vfs|overlay2: the storage driver for a --moby-root that has no images yet (default
                           $LADING_MOBY_DRIVER, else vfs); a root that has them keeps its own
      --containerd-address SOCKET
                           type=image goes into this containerd (default $CONTAINERD_ADDRESS; with neither, and no
                           --store or $LADING_STORE, containerd's /run/containerd/containerd.sock when it answers)
      --namespace NS       containerd namespace (default $CONTAINERD_NAMESPACE, else default)
      --json               Print the result as JSON on stdout
      --progress MODE      auto|plain|tty|json|quiet (stderr)

type=image into containerd: layers it lacks are sent under a temporary lease, the image is named (app:1 becomes
docker.io/library/app:1) and, with unpack=true, its layers are applied into snapshotter=overlayfs|native so
ctr run / nerdctl run start it at once. A multi-platform export is one record naming the index.

Examples:
  lading export ./examples/hello-rootfs --tag hello:latest
  lading export rootfs --cmd '["/bin/sh","-c","echo hi"]' -o type=image,name=app:1,unpack=true \
    --containerd-address /run/containerd/containerd.sock     # then: ctr run --rm docker.io/library/app:1 t
  lading export rootfs -o type=image,name=app:1,unpack=true,snapshotter=native --namespace k8s.io
  lading export rootfs -o type=oci,dest=hello.tar --tag hello:1
  lading export rootfs -o type=docker,dest=hello-docker.tar -t hello:1
  lading export app --base oci:./base:latest --cmd '["/app"]' -o 'type=image,"name=a:1,b:1",unpack=true'
  lading export rootfs -o type=registry,name=localhost:5000/hello:1,registry.insecure=true
  lading export rootfs --cmd '["/bin/sh","-c","echo hi"]' -o type=moby,name=app:1 && docker run --rm app:1
  lading export rootfs -o type=docker,name=app:1      # no dest=: loaded into Docker, as buildx --load
  lading export rootfs --cmd '["/bin/sh"]' -o type=moby,name=hello:1 --moby-root /var/lib/docker-test --moby-driver overlay2
  #   then: dockerd --data-root /var/lib/docker-test --storage-driver overlay2 & docker run --rm hello:1
  lading export app -o type=registry,name=localhost:5000/app:1 --sign-key k.asc --registries.d ./registries.d
  SOURCE_DATE_EPOCH=0 lading export rootfs -o type=oci,tar=false,dest=out --tag hello
  lading export app -o type=oci,dest=app.tar --cache-from type=registry,ref=ghcr.io/me/app:cache \
    --cache-to type=registry,ref=ghcr.io/me/app:cache,mode=max
  lading export app -o type=registry,name=localhost:5000/app:1 --cache-to type=inline
  lading export ./app --base oci:./base:1 --attest type=sbom --attest type=provenance,mode=max \
    -o type=registry,name=localhost:5000/app:1,registry.insecure=true
  lading export ./app --sbom=true --provenance=mode=min -o type=oci,dest=app.tar -t app:1
  lading export app --base oci:./base:latest -o ./rootfs            # the merged filesystem into ./rootfs
  lading export app --base oci:./base:latest -o - | tar -tv          # ... as a tar on stdout
  lading export app -t localhost:5000/app:1 --push --annotation index:org.opencontainers.image.source=URL \
    --platform linux/amd64,linux/arm64 -o type=image,oci-mediatypes=true,registry.insecure=true
  lading export app -t app:1 --load                                  # as docker buildx build --load
`,
  inspect: `Usage: lading inspect IMAGE [options]

Print an image's manifest descriptor, manifest and config as JSON.
IMAGE is oci:DIR[:TAG], docker://REF (read from the registry: only the manifests and the config are fetched, as
skopeo inspect docker:// and crane manifest), a name in the lading store, or one of the other transports lading copy
takes (oci-archive:, docker-archive:, dir:, docker-daemon:).

Options:
      --insecure          docker://: allow plain HTTP and unverified TLS (skopeo's --tls-verify=false)
      --platform OS/ARCH  Platform to pick from a multi-platform index (default: this machine)
      --config            Print only the config
      --raw               Print the exact bytes the name points to (an index stays an index, as skopeo
                          inspect --raw; with --platform, that platform's manifest): sha256sum gives its digest
  -f, --format TEMPLATE   Go-template subset: {{.Field.Path}}, {{json .X}}, {{index .X "key"}}, {{join .X ","}};
                          buildah inspect's fields (.FromImage, .FromImageID, .FromImageDigest, .OCIv1,
                          .Docker, .Manifest, .Config as text, .ImageAnnotations, .History), buildah images'
                          (.ID, .Name, .Repository, .Tag, .Digest: what the name points to, .Created,
                          .CreatedAt, .CreatedAtRaw, .Size, .MediaType, .Platforms), skopeo inspect's
                          (.Architecture, .Os, .Variant, .Layers, .Labels, .Env) and lading's own (.name,
                          .descriptor, .manifest, .config)
      --store DIR         The lading store

Examples:
  lading inspect oci:./out:latest
  lading inspect hello:latest --config
  lading inspect hello:latest --raw | sha256sum
  lading inspect hello:latest --format '{{.FromImageID}} {{json .OCIv1.config.Env}}'
  lading inspect oci:./out:latest --format '{{.Digest}} {{.Os}}/{{.Architecture}} {{.Size}}'
  lading inspect docker://localhost:5000/app:1 --insecure --raw   # the registry's manifest bytes
`,
  push: `Usage: lading push IMAGE [DEST] [options]

Push an image of the lading store (or oci:DIR:TAG) to a registry. DEST defaults to IMAGE's name
(docker:// is optional).

Options:
      --insecure            Allow http and unverified TLS
      --format FORMAT       oci, docker or keep (default): the media types pushed
      --sign-key FILE       Sign the pushed image (repeatable): an armored OpenPGP private key (a simple
                            signature in the registries.d lookaside) or a cosign private key (a cosign signature
                            in the registry's sha256-<hex>.sig tag); the kind is told by the file's content
      --passphrase-file F   The keys' passphrase (first line of F; default $LADING_PASSPHRASE)
      --registries.d DIR    registries.d for the lookaside (default ~/.config/containers/registries.d when it
                            exists, else /etc/containers/registries.d)
      --json                Print the result as JSON

Examples:
  lading push localhost:5000/hello:1 --insecure
  lading push oci:./out:latest docker://localhost:5000/hello:1 --insecure
  LADING_PASSPHRASE=secret lading push hello:1 docker://localhost:5000/hello:1 --sign-key cosign.key
  lading push hello:1 docker://localhost:5000/hello:1 --sign-key me.asc --registries.d ./registries.d
`,
  verify: `Usage: lading verify IMAGE --key PUBLIC_KEY [options]

Check the signatures of IMAGE (docker://REF, or oci:DIR[:TAG]) against public keys, as skopeo's policy signedBy
and sigstoreSigned requirements do: simple signatures from the registries.d lookaside (OpenPGP keys verify them)
and cosign signatures from the registry's sha256-<hex>.sig tag and referrers, or from an OCI layout's
sha256-<hex>.sig entry (cosign PUBLIC KEY PEMs verify them). One signature by a key, over this manifest's digest,
for an accepted name, is enough.

Options:
      --key FILE            A public key: armored or binary OpenPGP, or a cosign PUBLIC KEY PEM (repeatable)
      --identity NAME       The name signatures must carry (exact with a tag or digest, else any tag of that
                            repository). Default for docker://: the name asked for (a tag must match exactly, a
                            digest reference accepts any name of its repository); OCI layouts: no name is checked
      --insecure            Allow http and unverified TLS
      --registries.d DIR    registries.d for the lookaside (default as skopeo: ~/.config/containers/registries.d
                            when it exists, else /etc/containers/registries.d)
      --json                Print the verdict and each signature's check as JSON

Exit codes:
  0   verified: signed by one of the keys, for this image
  10  unsigned: no signature at all
  11  wrong key: signatures exist, none by the keys given (for cosign also one altered after signing: an ECDSA
      signature does not name its key, so the two look alike)
  12  mismatch: a signature by one of the keys does not match this image: signed for another manifest digest or
      another name, or an OpenPGP signature naming the key that does not verify (altered)
  2 usage, 3 bad input (an unreadable or private key), 4 not found, 5 registry/network

Examples:
  lading verify docker://localhost:5000/app:1 --key me.pub.asc --registries.d ./registries.d --insecure
  lading verify docker://localhost:5000/app:1 --key cosign.pub
  lading verify oci:./out:app --key cosign.pub --json
`,
  key: `Usage: lading key generate --out PREFIX [options]

Generate an ECDSA P-256 key pair in cosign's format: PREFIX.key (ENCRYPTED COSIGN PRIVATE KEY: PKCS #8 under
scrypt and nacl secretbox, what cosign and skopeo --sign-by-sigstore-private-key read) and PREFIX.pub (PUBLIC KEY
PEM). Existing files are never overwritten.

Options:
      --out PREFIX          Where to write the pair
      --passphrase-file F   The passphrase (first line of F); default $LADING_PASSPHRASE (set it empty for none)
      --json                Print the paths as JSON

Examples:
  LADING_PASSPHRASE=secret lading key generate --out cosign
  lading key generate --out release --passphrase-file ./pass.txt
`,
  copy: `Usage: lading copy SOURCE DEST [options]

Copy an image (every platform) between an OCI layout (oci:DIR:TAG), a registry (docker://REF), containerd
(containerd://NAME, an image record of its image store), the lading store (a bare NAME) and lading-buildah's other
transports, the same code in both CLIs: oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] (docker save's
format; one platform, this machine's), dir:DIR (skopeo's directory) and docker-daemon:NAME:TAG (the Docker Engine).
Anything else (an unknown transport, a name that is no valid image name, like Foo/Bar) is a usage error (exit 2).

Into an OCI layout, Docker schema2 manifests and indexes are converted to OCI media types (new digests; layer and
config bytes unchanged); elsewhere the image is copied as it is, unless --format asks. Into containerd the blobs it
lacks are sent under a temporary lease (an interrupted copy resumes), and the record is named as Docker does
(app:1 is docker.io/library/app:1).

Options:
      --insecure       Allow http and unverified TLS for the registry
      --format FORMAT  oci, docker or keep: the media types written (default: oci into oci:, else keep)
      --containerd-address SOCKET
                       containerd's socket (default $CONTAINERD_ADDRESS, else /run/containerd/containerd.sock)
      --namespace NS   containerd namespace (default $CONTAINERD_NAMESPACE, else default)
      --unpack         Into containerd: also apply the layers for this platform into the snapshotter
      --snapshotter S  overlayfs (default) or native

Examples:
  lading copy oci:./out:latest docker://localhost:5000/hello:1 --insecure
  lading copy docker://docker.io/library/busybox:latest oci:./busybox:latest
  lading copy oci:./out:latest hello:latest
  lading copy oci:./out:latest containerd://app:1 --unpack     # then: ctr run --rm docker.io/library/app:1 t
  lading copy docker://localhost:5000/app:1 containerd://app:1 --namespace k8s.io --insecure
  lading copy containerd://app:1 oci:./app:1
  lading copy oci:./out:latest docker-archive:./app.tar:app:1   # then: docker load -i app.tar
  lading copy docker-archive:./app.tar oci-archive:./app-oci.tar:1
`,
  ls: `Usage: lading ls [oci:DIR] [options]

List the named images of the lading store (or of an OCI image layout): NAME, IMAGE ID (the config digest),
DIGEST (what the name points to), CREATED and SIZE (the bytes of its blobs).

Options:
      --json              One object per name: name, repository, tag, digest, mediaType, size (of the
                          manifest or index), id, created, contentSize, platforms
      --format TEMPLATE   buildah images' fields: .Name .Repository .Tag .ID .Digest .Created .CreatedAt
                          .CreatedAtRaw .Size .MediaType .Platforms; "table ..." prints a header row
  -n, --noheading         No header row
      --no-trunc          Full image IDs
      --store DIR         The lading store

Examples:
  lading ls
  lading ls oci:./out --json
  lading ls --format '{{.Name}} {{.Digest}}'
  lading ls --format 'table {{.Repository}}\t{{.Tag}}\t{{.Size}}'
`,
  tag: `Usage: lading tag SOURCE NAME... [options]

Give an image of the lading store more names (an existing name is moved).

Options:
      --store DIR         The lading store (default $LADING_STORE or ~/.local/share/lading/store)

Examples:
  lading tag hello:latest hello:1.0 registry.example/hello:1.0
`,
  rm: `Usage: lading rm NAME... [options]

Remove names from the lading store (blobs go at the next lading gc).

Options:
      --store DIR         The lading store (default $LADING_STORE or ~/.local/share/lading/store)

Examples:
  lading rm hello:latest && lading gc
`,
  gc: `Usage: lading gc [options]

Remove the blobs of the lading store that no name (index.json) or lease holds.

Options:
      --json              Print what was removed as JSON: removed (blobs), bytesFreed
      --store DIR         The lading store (default $LADING_STORE or ~/.local/share/lading/store)

Examples:
  lading gc --json
`,
} as const;
