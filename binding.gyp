{
  "targets": [{
    "target_name": "trunkgate_media",
    "sources": [ "<!@(node native/sources.js)" ],
    "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")", "native" ],
    "defines": [ "NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS" ],
    "cflags_cc": [ "-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra" ],
    "cflags_cc!": [ "-fno-exceptions" ],
    "libraries": [ "-lcrypto", "-lspandsp -lopus" ]
  }]
}
