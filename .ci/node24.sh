# Sourced by .ci/run: the machines ship Node 20, Whisker (and wrangler) need Node 24.
# Installs node@24 + npm@11 from the npm registry into a cached prefix and puts it first on PATH.
NODE24_PREFIX="${NODE24_PREFIX:-$HOME/.cache/node24}"
if ! "$NODE24_PREFIX/bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  npm install --global --prefix "$NODE24_PREFIX" --no-fund --no-audit --allow-scripts=node node@24 npm@11
fi
export PATH="$NODE24_PREFIX/bin:$PATH"
hash -r
echo "node $(node --version), npm $(npm --version)"
