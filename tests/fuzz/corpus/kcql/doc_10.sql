SELECT image_tag('nginx'), image_tag('registry.example.com:5000/shop/cart@sha256:0f3e'),
       image_repo('registry.example.com:5000/shop/cart:1.0'), image_digest('app@sha256:0f3e')
-- => [["latest","","registry.example.com:5000/shop/cart","sha256:0f3e"]]
