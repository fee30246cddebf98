'use strict';
// Test certificates made with the openssl command (two CAs, a server
// certificate for IP 127.0.0.1 and a client certificate, both signed by
// "ca"), and API keys made with `omniroute-server --new_api_key`.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { serverBinary } = require('./server');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(...args) {
  const out = spawnSync('openssl', args, { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (out.error) throw new Error(`openssl: ${out.error.message} (the openssl command makes the test certificates)`);
  if (out.status !== 0) throw new Error(`openssl ${args.join(' ')}: exit ${out.status}:\n${out.stderr}`);
}

// Writes the files into `dir`; returns their paths: { ca, otherCa,
// serverCert, serverKey, clientCert, clientKey }.
function makeCertificates(dir) {
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', ...EC, '-keyout', `${dir}/${ca}.key`, '-out', `${dir}/${ca}.pem`, '-days', '2', '-subj', `/CN=omniroute test ${ca}`);
  }
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const leaf of ['server', 'client']) {
    openssl('req', ...EC, '-keyout', `${dir}/${leaf}.key`, '-out', `${dir}/${leaf}.csr`, '-subj', `/CN=omniroute test ${leaf}`);
    openssl('x509', '-req', '-in', `${dir}/${leaf}.csr`, '-CA', `${dir}/ca.pem`, '-CAkey', `${dir}/ca.key`, '-CAcreateserial', '-days', '2', '-extfile', `${dir}/${leaf}.ext`, '-out', `${dir}/${leaf}.pem`);
  }
  return {
    ca: `${dir}/ca.pem`,
    otherCa: `${dir}/other-ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.pem`,
    clientKey: `${dir}/client.key`,
  };
}

// `omniroute-server --new_api_key=spec` ('ID:ROLE:TENANT[:AGENT]'):
// { token, entry } (the key, and its entry for an --api_keys file).
function newApiKey(spec) {
  const out = spawnSync(serverBinary(), [`--new_api_key=${spec}`], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (out.status !== 0) throw new Error(`omniroute-server --new_api_key=${spec}: exit ${out.status}: ${out.stderr}`);
  const tokens = out.stdout.split('\n').filter((l) => l.startsWith('# omr_')).map((l) => l.slice(2).trim());
  const start = out.stdout.indexOf('key {');
  if (tokens.length !== 1 || start < 0) throw new Error(`omniroute-server --new_api_key=${spec}: unexpected output:\n${out.stdout}`);
  return { token: tokens[0], entry: out.stdout.slice(start) };
}

module.exports = { makeCertificates, newApiKey };
