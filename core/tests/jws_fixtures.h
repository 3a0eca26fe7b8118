/*
 * Fixed keys and signatures for test_jws.c, all made with the openssl command
 * line tool (OpenSSL 3.0), so the tests check dvc against an independent
 * implementation rather than against itself:
 *   openssl genpkey -algorithm ed25519 | ed448 | EC -pkeyopt ec_paramgen_curve:P-256
 *       | ... P-384 | RSA -pkeyopt rsa_keygen_bits:2048 | 1024 | RSA-PSS
 *   openssl pkey -in ed25519.pem -aes256 -passout pass:secret   (encrypted)
 *   openssl ec -in p256.pem [-aes256 -passout pass:secret]      (traditional)
 *   openssl pkey -in p256.pem -pubout                           (public)
 *   openssl dgst -sha256 -sign p256.pem | rsa2048.pem SIGNING_INPUT
 * (the ES256 DER signature rewritten as JOSE R||S).  Test keys only: never
 * install them.
 */
#ifndef JWS_FIXTURES_H
#define JWS_FIXTURES_H

/* RFC 8037 appendix A.1: d = nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A, as PKCS#8 */
static const char pem_rfc8037[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

/* Ed25519 */
static const char pem_ed25519[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEICq+ExaMIy2tvCFjFdVuVJXvBQVMRPm0JMi6FMpAyU8P\n"
    "-----END PRIVATE KEY-----\n";

/* the same Ed25519 key, encrypted (passphrase "secret") */
static const char pem_ed25519_enc[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiqsMUElchgjQICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEM2rTwHWu2SJdzna0LGvKZgEQFuK\n"
    "BnqQMC3zRm9xmFgKwJh35buHPTnmEngmkCPuVlCI4pyy0czO1cW5zPO+zQXMKQ6M\n"
    "wvbExGZB7lIJSz5johI=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

/* EC P-256, PKCS#8 */
static const char pem_p256[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgy5w9N6RWr/FMmZBv\n"
    "vsc8O0nSqmYE2es8q6e43yWSa0mhRANCAAQGOctEEy56cGOJ2ptorrEV3/XDQIx2\n"
    "HkuBRTAVNZ5ZrIB5eh8rSvVWd76B/6p0U5bldga2dkoY/YmCHQlJHvhS\n"
    "-----END PRIVATE KEY-----\n";

/* the same P-256 key, traditional "EC PRIVATE KEY" */
static const char pem_p256_trad[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIMucPTekVq/xTJmQb77HPDtJ0qpmBNnrPKunuN8lkmtJoAoGCCqGSM49\n"
    "AwEHoUQDQgAEBjnLRBMuenBjidqbaK6xFd/1w0CMdh5LgUUwFTWeWayAeXofK0r1\n"
    "Vne+gf+qdFOW5XYGtnZKGP2Jgh0JSR74Ug==\n"
    "-----END EC PRIVATE KEY-----\n";

/* the P-256 key, traditional form encrypted (openssl ec -aes256) */
static const char pem_p256_trad_enc[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "Proc-Type: 4,ENCRYPTED\n"
    "DEK-Info: AES-256-CBC,62381674D7CBB78FBF32A58A723FFA93\n"
    "\n"
    "vpSLhrHOHmT24u4S6E47Fkan+T74WcACchOYOLfpWfR6AyiHOQ1MgctnHIfuhLqe\n"
    "dlPRtI5fylCxbo1+ZvnQWtRySwYqOUZnH6EsJ3xes2jO61sEwjHRdgRnPJ7TphqY\n"
    "aV1VuMW+F5rARHI4TgzCDle73RarynPJ5W1RxW9j2v8=\n"
    "-----END EC PRIVATE KEY-----\n";

/* its public key */
static const char pem_p256_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBjnLRBMuenBjidqbaK6xFd/1w0CM\n"
    "dh5LgUUwFTWeWayAeXofK0r1Vne+gf+qdFOW5XYGtnZKGP2Jgh0JSR74Ug==\n"
    "-----END PUBLIC KEY-----\n";

/* RSA 2048 */
static const char pem_rsa2048[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC6eipwMM6J02ml\n"
    "lpP4T8ur7e/ue8nj0BURuap5k5NfJPUF0J9JZd+88EGy6zc4EZIIuKAa1APLCzkM\n"
    "qMjuMJKZ3j90y1b88H1LtexRm+IK5ClT4laSOVdqfbAk/0oaMwv4eA3UYAOda1yf\n"
    "EbEit7Z08rm8G/gI1+qn1d/4Ki4Z238XN+0stbc8ePJW0kWB5OkmXxqqHbif042p\n"
    "x66MWvSSJP+lDBSVe1w8ost3lliPlQZDJI8JB9kkQrMuFPowOQO+fBQqcqXdfemy\n"
    "knwqWSPUV1ZD88ykpWfdWoGxI+xQzChPxT61R6DCTYjiKGdJFMDT+79vIRkYt40A\n"
    "723nN0tBAgMBAAECggEAD3WSiFnBe6NdVCsZMgoieUrI2/Fi/boJzx4AbCMQAgCh\n"
    "OAXROL9jdqlH1w6BNcqeG887hbHbLSVtabdh7f40nyExy0vStrY0uva2ZFcbHJpI\n"
    "81F1qhprHPLVzCFmaijedo80XU2G6zFj/LN1pwpKK+SWAYpjjA8jXt3gGxWbHA1F\n"
    "6jHh4Z6YhaYRKg+suBAn9xXA2zHPsFn5r5mz/eYqCh0SsBHjyGC0kPO6fnWiCJbo\n"
    "+aLgArjeGZ5WvH2YmA6xjj63jhAS3F1gkdy48K76Klc9u3/tT0FZxe1/ny2a47xW\n"
    "/sz2DBTt13kLhQTkS8JwRSUJk6hxTiLhxkU9KAmdOQKBgQD6WfHGErBaLYCc6Z5i\n"
    "YaefIfq0GrQPzOb/5MOD5d0k3XjDjK7pN42/vsXM0aYGHoMrG/nGk6W4urqIEwBo\n"
    "8gOjCgFSSMH04NpMu63JYzra1g6U9NNGkwdKIp+zV2v5PXCSWdeZZuYlFxQCLyEP\n"
    "57Fg+QoauHsvu+QSawbn6IlACQKBgQC+r0cUacmcWbmcO8n7OkEv1N/yoL6Q/fV8\n"
    "ofKg2o/KNxRRGm13r6HJ6AZU9E1qnt8YQehweOA0wZlZkQ+UolnXkGFAjtUWh6UP\n"
    "KYUiSbFuX2TH/RGbonIxz/GYtCnR1E73AA4O/Zv3awgBT2Ilq1dYmFhkaslesIRl\n"
    "FibvZbuPeQKBgEMURovkBgyjlIp2rlF+CQPCfwIzBXwWUu7NxPVaad6u2OTMlTE4\n"
    "CWsPGsC+i9Wn501tuYdTmFve7Iv5S2rTLdZJoAEELbQHa3aT8wS66dIo+M9AqjuG\n"
    "ubVLga70BaJKrBcKq5IW2COoA1xydFFmq0hociSmuZsYpQuqUbdhvyTBAoGAVJ/7\n"
    "Pp74P7A+RIzwRdODrJOf09Ds4fIjKW3B/Qsid07ccGX3IP/MIIwdi0RkuyXIwr41\n"
    "Rv0OG7uzr+FF9ePbVWSZFIqPHRGT+lel4yKrYN1rH6o7T0PXxC2R/gAu8xVy+gGH\n"
    "O7XnqvVQNyyg1TDmccYirGYL+j8Ccs5S9znB9JkCgYEAhzXiHVgNy0AeggvnHuhf\n"
    "FmmhMEloDve6eHlqWL9UP3batWN8JYpD24uueE8od9cQDTWqHmqpNAbC9Bf7jGNx\n"
    "I5FOp8x/ZLMR1WDp9CLPQaFjM/kWiorgn+/iIj6C6DCYmlj/fgZb3eSiPeyIZai3\n"
    "PzdQvbR3rZpI6x8DrAglN4k=\n"
    "-----END PRIVATE KEY-----\n";

/* Ed448 (refused) */
static const char pem_ed448[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MEcCAQAwBQYDK2VxBDsEOT9eQKPVeMMKLHJ1zJkyCXgC7vXkci0xJo3Dc9e13C9O\n"
    "MzNQO5cR2uT42c3NCphT8AnW2Oij7LisXw==\n"
    "-----END PRIVATE KEY-----\n";

/* EC P-384 (refused) */
static const char pem_p384[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDdnFAzn/0s4qbvEGez\n"
    "eO3hTcA+VLyeaIJtzVSi6UCAPtxkoGeX/AjDDRPh/UCl+KehZANiAASnebS5RAyx\n"
    "nkSj3PYS12G4/fpS1PB+vD6DHunBIIPgoftPMRKeYqv88bcS+QpdJve0S2WmFEpS\n"
    "yBhdQWg+Hr5IVdwLHYs8W2HocM2gohr06ehvC1LYyr1bUZPNxIkjNNs=\n"
    "-----END PRIVATE KEY-----\n";

/* RSA 1024 (refused) */
static const char pem_rsa1024[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAKkI/WSyjomwDg9H\n"
    "RBL//QnrPxBFnuKBlXmkpxka/E/ukEK9or6GhmEvbcDgnpvBQucvqaJbuMC9jgBp\n"
    "X+KYMlSjH6Fg57qVwBkKSsMxxXX0h/keJzTKUOdkqKefw66NBgZAiLemeHjlFRr7\n"
    "jIZ3qKemQaAJPm6uP6ZF5lrRM+gPAgMBAAECgYEAhTZQe8s8CcZ1ThUb0N1szSRX\n"
    "zrsPO/JjmjnodiCON3AKwI4yc3QQ8wYtuJNMa/Miho9JYGpob3zzK9/fcPQAtOr1\n"
    "mqkSqzDbgjuQOzc95l+1uhOnDpdo+dWU8oENk8k8jC38yjrCPj4YDzZ1Ywutj/QG\n"
    "mtqqxxJJZvAhvJVGNAECQQDRxNW7bf6E47BrBed8L4Tgk43rcLWToyjgwYCiSj8j\n"
    "lAZGOuGzUhq3CCBxS8DBcLbXYHNeYTBR6Bz/UyVX57YJAkEAzkn0apB5bmivkOcB\n"
    "bAYXoe6UtT67z59iNcrhF3yBEDlthso56tcYtMKupsfIj8CHAYYOrvXR4nI3dsAI\n"
    "ePdzVwJAOuJzUQr+gJVd550fryezuEsTcr0P66LIjdcj4erPsJAT9tD+nJT2tNyO\n"
    "Jt+p+2NFoE4N9Ld5lfR/d1kCyZtc6QJAdYcY42WwaUDnVazm2H6YFD/zJVe6dM2f\n"
    "jHorx8+9UFsHlZW9bZhikQmhq4+DKrNLt4iC8RdIHrVn+BXsPc7tPQJAf2VAWM10\n"
    "u2AjAgcwR50OmAF6din7FIHw40oEdOO/besgpB17y2irEagfmc51JaoiWCbQqsZj\n"
    "IhxA1PYi5gCXKg==\n"
    "-----END PRIVATE KEY-----\n";

/* RSA-PSS 2048 (refused) */
static const char pem_rsapss[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEuwIBADALBgkqhkiG9w0BAQoEggSnMIIEowIBAAKCAQEAjqbwn4w5xvcIqy0L\n"
    "tjIS7Mca2s6VOVvNRQdeTGXqZE5+KX6kik/8CG4IB+0ch2B+fF2sVwJt+b2me7jO\n"
    "SJNqOhjjBSu6xrJIYhtQF1WsmUd31l11xQgP0+JHddm6OOvgcNFl1mVCtQQkhfMe\n"
    "kBCfp1KBjOOMrew4l3vD24uLpWxT4qK5ZZKkRauB3yziBzkjXyz5XfPwSIoUhbBY\n"
    "JpdJdAKIM/0gsW/fQg6VtL76AC5sFoF6GAtlnZAa+S3FKUOFP72jiwjH+Z4sNRKC\n"
    "e1eu/8eBv5Ol82Kjf+cG1dv+5lcXVZ4wuq3Nq+ibjHbUxPT1hOcZszXBYJhWb/Cq\n"
    "E/tauwIDAQABAoIBAAuVjvDF6GM56GBONidDhbnoqUuffwq7Y735TTUTCae/oAsq\n"
    "l54LxMHCfbB3Ftv/gAYFbVtbfSbMudpONaI7JmM1ZiojVPWRwMMGyMg8UtnXremg\n"
    "iVHIx9BDDd6KIc9BiGZg+s4gRvyAK58dERxN3UkvMAoK6H+vMSFMEamgeWSjelky\n"
    "nIOcysBUHG0B40JrJt4q0SGJce/xVg1v0yZxD8KPUW1HB7rniiAPoSqoCNT+uOzo\n"
    "sVck1nM94TH/qy+ei0QMmxX6vn4IwNv8g+S0Ey0AsIqD10ty2XUoe1mnzAKIUjzB\n"
    "EtoZvslspfsP+Y3HMvoLKNe38wozNTRYrrDFriECgYEAww7+8AFPuikgudx7y4Me\n"
    "GB4kJPBe0vB41cXj4s7ZCNq0PqIyzgSyrpRycoSxThfCPwc0GlwrUHSMSlnTAEs0\n"
    "UrSYSTl1ROYGYrlDQaywxW6XAt7aoQ+M/8I0b3Y6UhpMp4jhcgqC042kHUHRu2Pv\n"
    "pU0YqtYMCFQBqoTRv1t24OkCgYEAuzhqdnPhP9836bl3EFge1IvljnhtBc2qBJrE\n"
    "D3MOF6JME0gTY81jMIFFfpFzYluyaLlo+P7TNfZMnuQAwskA6qZ5YYF+hEotV4rA\n"
    "WOVblxFvuU/qq3Q6/tijRTVXtbprX66P7rvgR5pNX2yC0hp3eMGpKMjsBPKBV8LR\n"
    "CaDt+AMCgYEAq5otvofo1CYKnHjUkB4yA5XAxp6RTZIxPCB0c7z2Q0vk9pVLjOOl\n"
    "LuF6LjV+pu1P/pMfy3D6yjU+lsqfTsrapUgsEX9zI8IaLBBAky6R9Z9tSyEzxi4g\n"
    "JYF9D/I7LK/mcB2D+Qg2QFeD4hldojYxRoOlB+Z3f3woWxOuU2LsGsECgYAGWEIb\n"
    "Y4/1py3w6M0lK6dX0qnj6ybetHqXj1snnuGSYXisipvFnRdIdIkTYgCEC9F/BRGO\n"
    "pqwnvwIXvGheMYuraBri+A1+lDj3J4efO56f/wJHSHMOfnDlZBgcZ1NioD+1TWgp\n"
    "Ugqmwo7utfG1BxqXaBDAhhahkEpb3AlThzWpWwKBgBOnWkRz4g3HnnGEmIcm+1Rt\n"
    "igYdlcmJtYcgapS2jxbozT0MegOVAd/3Sn++45oXKHo/poOabKSn3ecHlr+nZRXo\n"
    "wH2jfEW7Fksso5o2NW2VKdxMUjtjgCyqav3fIuqwJInqVWjWtnmIuAp2AqBI7hiS\n"
    "rpxdEyggi2ay5q69gaSv\n"
    "-----END PRIVATE KEY-----\n";

/* the payload both openssl signatures cover */
static const char receipt_payload[] =
    "{\"code\":\"000.00.10.H47-261122-0007\",\"procedure\":\"1.000001\",\"agency\":\"000.00.10.H47\","
    "\"accepted_at\":\"2026-11-22T08:15:00+07:00\",\"due_at\":\"2026-11-25T08:15:00+07:00\"}";

/* header {"alg":"ES256","kid":"openssl-cli","typ":"dvc-receipt+jwt"}, signed by openssl dgst with pem_p256 */
static const char jws_openssl_es256[] =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6Im9wZW5zc2wtY2xpIiwidHlwIjoiZHZjLXJl"
    "Y2VpcHQrand0In0.eyJjb2RlIjoiMDAwLjAwLjEwLkg0Ny0yNjExMjItMDAwNyIs"
    "InByb2NlZHVyZSI6IjEuMDAwMDAxIiwiYWdlbmN5IjoiMDAwLjAwLjEwLkg0NyIs"
    "ImFjY2VwdGVkX2F0IjoiMjAyNi0xMS0yMlQwODoxNTowMCswNzowMCIsImR1ZV9h"
    "dCI6IjIwMjYtMTEtMjVUMDg6MTU6MDArMDc6MDAifQ.-EJcQiRhfMEfqLe7ixpL5"
    "PbNotVkD7vjo1U98BcXxR97h3bIOUZNOeJRvNKMM2B9VOSJr7HfskqEukxl8RxqI"
    "w";

/* header {"alg":"RS256","kid":"openssl-cli","typ":"dvc-receipt+jwt"}, signed by openssl dgst with pem_rsa2048 */
static const char jws_openssl_rs256[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Im9wZW5zc2wtY2xpIiwidHlwIjoiZHZjLXJl"
    "Y2VpcHQrand0In0.eyJjb2RlIjoiMDAwLjAwLjEwLkg0Ny0yNjExMjItMDAwNyIs"
    "InByb2NlZHVyZSI6IjEuMDAwMDAxIiwiYWdlbmN5IjoiMDAwLjAwLjEwLkg0NyIs"
    "ImFjY2VwdGVkX2F0IjoiMjAyNi0xMS0yMlQwODoxNTowMCswNzowMCIsImR1ZV9h"
    "dCI6IjIwMjYtMTEtMjVUMDg6MTU6MDArMDc6MDAifQ.pLmWlRlvb-3HyghWVMODw"
    "0O0ucpbDxDXMVM3xthVwy0bP4supnh6asKSAOQd1k8jccqOcwrHQkw_nIm1e9gvG"
    "TrnGN3mUV2Dw1sfu3kRtfAtjaTqU_FwEjBspA-uoSKSzzoyb-x_7DybUyvFrmhXk"
    "sie0Z5QMo5sxW-Kdav-KrPlhTmzRGrLEmeFNM3GQh7YOz22x5iiJ789Y61_TM_-Z"
    "uCjs7d4S5D4UlH5Z7jBKG7OH7sTpUnIm23pUt7BZRjCLlkm3a0XWnufM4UH_MWs1"
    "mYAqukEHtvPeo0E5CaL5SWjuDUfSTc0Qz5qilR0cgz_GIQcAECzKpT640FfjjQrR"
    "Q";

#endif
