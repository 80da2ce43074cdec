/** A self-signed certificate for localhost and 127.0.0.1 (P-256, valid until 2126), for tests of downloads over TLS. Made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1`. */
export const TEST_TLS_KEY = `
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzlwE7YCdYCBvylTZ
uoGR2ZwfpbVqhFV95krjWtkyELahRANCAATYHbv3rEph15v3ZmZDA7BlQZKE8mnC
9sV5NSOGo2B+jLTwuB3lra5YGamZzJxGSFONTIXbXB8KsnARDGGqIEy2
-----END PRIVATE KEY-----
`;

/** The certificate of {@link TEST_TLS_KEY}: a client trusts it as its only CA. */
export const TEST_TLS_CERT = `
-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUHUZBDlCsFIlWDuf0iPAPSlf7r+kwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzE4MzUyMloYDzIxMjYxMTA5
MTgzNTIyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATYHbv3rEph15v3ZmZDA7BlQZKE8mnC9sV5NSOGo2B+jLTwuB3lra5Y
GamZzJxGSFONTIXbXB8KsnARDGGqIEy2o28wbTAdBgNVHQ4EFgQUq3UDKuWvDexT
XXSGFFUopILs93UwHwYDVR0jBBgwFoAUq3UDKuWvDexTXXSGFFUopILs93UwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhAPtEnspJF3P//jH1fhjO0Yld0brDWLOqZq0B+eBWsxyAAiEA
g9un2issdqmoWJABiDt0Xg7lIuyrI71F8ehp/gKRfPk=
-----END CERTIFICATE-----
`;
