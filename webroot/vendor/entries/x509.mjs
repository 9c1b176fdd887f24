// x509.mjs - the X.509 parser the console uses to show TLS certificates
// (@peculiar/asn1-x509 over @peculiar/asn1-schema), re-exported so that
// scripts/deps.sh can bundle it with esbuild into one ES module
// (assets/vendor/x509/x509.js).
export { AsnConvert } from '@peculiar/asn1-schema';
export { Certificate, SubjectAlternativeName, BasicConstraints, id_ce_subjectAltName, id_ce_basicConstraints } from '@peculiar/asn1-x509';
