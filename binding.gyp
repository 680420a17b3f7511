{
  "targets": [
    {
      "target_name": "dime_native",
      "sources": [
        "native/addon.cc",
        "native/handle.cc",
        "native/runtime.cc",
        "native/creation.cc",
        "native/shape.cc",
        "native/math.cc",
        "native/nn.cc",
        "native/linalg.cc",
        "native/autograd.cc",
        "native/layout.cc",
        "native/autocast.cc",
        "native/distributed.cc",
        "native/optim.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/find-libtorch.mjs --include)"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["<!@(node native/find-libtorch.mjs --defines)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
      "cflags_cc": ["<!@(node native/find-libtorch.mjs --std)", "-fexceptions", "-frtti", "-O2", "-fno-math-errno", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": ["<!@(node native/find-libtorch.mjs --libs)"]
    },
    {
      "target_name": "dime_bind_address",
      "type": "shared_library",
      "sources": ["native/bind-address.c"],
      "libraries": ["-ldl"]
    }
  ]
}
